"""The part of an evaluation run that reads the database: `load_facts(as_of, months)` gathers
everything DOMAIN.md §5.1–§5.3 need, aggregated in SQL and grouped by customer, with a fixed
number of queries whatever the number of customers. The models themselves
(`kehu.ranking.scoring`) are pure functions over the `Facts` it returns."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, Sum

from kehu.customers.models import Customer
from kehu.finance.models import Instalment, Payment, QualityLoss, WriteOff
from kehu.finance.services import apply_in_memory
from kehu.ranking.scoring.inputs import ZERO, CustomerFacts, Facts
from kehu.ranking.scoring.windows import previous_window, window
from kehu.sales.models import Contract, Opportunity, OrderLine

QUERIES = 8


def _from_cents(value) -> Decimal:
    """Integer cents (a SUM of a MoneyField column) as the field's Decimal: 1234 → 12.34."""
    return Decimal(int(value)).scaleb(-2)


def load_facts(as_of: date, months: int = 12) -> Facts:
    """Everything §5.1–§5.3 need, in a fixed number of queries (QUERIES), whatever the number of customers."""
    start, end = window(as_of, months)
    prev_start, _ = previous_window(as_of, months)
    in_w = Q(order__order_date__gt=start, order__order_date__lte=end)
    in_prev = Q(order__order_date__gt=prev_start, order__order_date__lte=start)

    customers = {
        row["id"]: CustomerFacts(id=row["id"], code=row["code"], influence=row["influence"], reputation=row["reputation"])
        for row in Customer.objects.filter(is_deleted=False, merged_into__isnull=True).values("id", "code", "influence", "reputation")
    }  # 1

    list_product = ExpressionWrapper(F("quantity") * F("product__list_price"), output_field=BigIntegerField())
    cents = BigIntegerField()  # sums of money as the stored integer cents: no per-value converter
    lines = (
        OrderLine.objects.filter(order__order_date__lte=end, order__customer__is_deleted=False, order__customer__merged_into__isnull=True)
        .values("order__customer_id")
        .annotate(
            sales=Sum("revenue", filter=in_w, output_field=cents),
            cost=Sum("cost", filter=in_w, output_field=cents),
            sales_prev=Sum("revenue", filter=in_prev, output_field=cents),
            list_value=Sum(list_product, filter=in_w),
        )
        .order_by()
        .values_list("order__customer_id", "sales", "cost", "sales_prev", "list_value")
    )  # 2: one row per customer with any line up to D
    for customer_id, sales, cost, sales_prev, list_value in lines:
        c = customers[customer_id]
        c.has_lines_to_date = True
        if sales is not None:
            c.has_lines_in_window = True
            c.sales, c.cost = _from_cents(sales), _from_cents(cost)
            c.list_value = int(list_value or 0)
        c.sales_prev = _from_cents(sales_prev) if sales_prev is not None else ZERO

    def grouped(queryset, date_field, amount_field="amount"):
        return (
            queryset.filter(**{f"{date_field}__gt": start, f"{date_field}__lte": end})
            .values("customer_id")
            .annotate(total=Sum(amount_field))
            .order_by()
        )

    for row in grouped(WriteOff.objects.all(), "written_on"):  # 3
        if row["customer_id"] in customers:
            customers[row["customer_id"]].write_offs = row["total"]
    for row in grouped(Contract.objects.all(), "signed_on"):  # 4
        if row["customer_id"] in customers:
            customers[row["customer_id"]].contract_volume = row["total"]
    for row in grouped(QualityLoss.objects.all(), "occurred_on"):  # 5
        if row["customer_id"] in customers:
            customers[row["customer_id"]].quality_losses = row["total"]
    open_opps = Opportunity.objects.filter(stage__is_closed=False).values("customer_id").annotate(total=Sum("amount")).order_by()
    for row in open_opps:  # 6
        if row["customer_id"] in customers:
            customers[row["customer_id"]].open_pipeline = row["total"]

    # Collection: every instalment of the contracts with an instalment due in W, and their payments ≤ D.
    contracts_due = Instalment.objects.filter(due_on__gt=start, due_on__lte=end).values("contract_id")
    instalments = defaultdict(list)
    owner = {}
    for row in Instalment.objects.filter(contract_id__in=contracts_due).values(
        "id", "seq", "due_on", "amount", "contract_id", "contract__customer_id"
    ):  # 7
        instalments[row["contract_id"]].append(row)
        owner[row["contract_id"]] = row["contract__customer_id"]
    payments = defaultdict(list)
    for row in Payment.objects.not_reversed().filter(contract_id__in=contracts_due, paid_on__lte=end).values(
        "id", "seq", "paid_on", "amount", "code", "contract_id"
    ):  # 8
        payments[row["contract_id"]].append(row)
    for contract_id, rows in instalments.items():
        c = customers.get(owner[contract_id])
        if c is None:
            continue
        state, _, _ = apply_in_memory(rows, payments.get(contract_id, []))
        for i in rows:
            if not (start < i["due_on"] <= end):
                continue
            applied, full_on = state[i["id"]]
            collected = min(applied, i["amount"])
            on_time = full_on is not None and full_on <= i["due_on"]
            days = max(((full_on or end) - i["due_on"]).days, 0)
            c.due.append((i["amount"], collected, on_time, days))

    return Facts(as_of=as_of, months=months, start=start, customers=customers, queries=QUERIES)

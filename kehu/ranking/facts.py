"""The part of an evaluation run that reads the database: `load_facts(as_of, months)` gathers
everything DOMAIN.md §5.1–§5.3 need, aggregated in SQL and grouped by customer, with a fixed
number of queries whatever the number of customers. The models themselves
(`kehu.ranking.scoring`) are pure functions over the `Facts` it returns."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Q, Sum

from kehu.core.dates import DATE_MIN
from kehu.customers.models import Customer
from kehu.finance.models import Instalment, Payment, QualityLoss, WriteOff
from kehu.finance.services import apply_in_memory
from kehu.ranking.scoring.inputs import CustomerFacts, Facts
from kehu.ranking.scoring.windows import previous_window, window
from kehu.sales.models import Contract, Opportunity, OrderLine, RevenueMonth, SalesOrder
from kehu.sales.summaries import whole_months

QUERIES = 10  # at most: customers, summary, edge lines, list value and the six below


def _from_cents(value) -> Decimal:
    """Integer cents (a SUM of a MoneyField column) as the field's Decimal: 1234 → 12.34."""
    return Decimal(int(value)).scaleb(-2)


def _ranges(first: date, last: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """first..last (inclusive) as its whole months (read from the monthly summary) and the
    partial months at its edges (read from the lines)."""
    if first > last:
        return None, []
    whole = whole_months(first, last)
    if whole is None:
        return None, [(first, last)]
    edges = []
    if first < whole[0]:
        edges.append((first, whole[0] - timedelta(days=1)))
    if last > whole[1]:
        edges.append((whole[1] + timedelta(days=1), last))
    return whole, edges


def _months(whole, path: str) -> Q:
    return Q(**{f"{path}__gte": whole[0], f"{path}__lte": whole[1]}) if whole else Q(pk__in=[])


def _days(edges, path: str) -> Q:
    q = Q(pk__in=[])
    for first, last in edges:
        q |= Q(**{f"{path}__gte": first, f"{path}__lte": last})
    return q


def _add_sums(totals, rows) -> None:
    """Add rows of (customer id, five sums — None for none) into `totals` {customer id: [5 ints]}."""
    for cid, s, c, n, sp, t in rows:
        row = totals[cid]
        row[0] += int(s or 0)
        row[1] += int(c or 0)
        row[2] += int(n or 0)
        row[3] += int(sp or 0)
        row[4] += int(t or 0)


def _raw_rows(queryset):
    """The rows of `queryset` as the database driver returns them, without Django's per-value
    converters (a few hundred milliseconds at 100,000 customers): for sums of integer cents and
    counts only, which the caller turns into ints itself."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connections

    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_facts(as_of: date, months: int = 12, *, list_value: bool = True) -> Facts:
    """Everything §5.1–§5.3 need, in a fixed number of queries (QUERIES), whatever the number of customers.

    Revenue, cost and the number of lines come from the monthly revenue summary
    (`kehu.sales.models.RevenueMonth`) for the whole months of W, W′ and "to date", and from
    the order lines for the partial months at their edges, so the sums are exactly the line
    sums. `list_value` (Σ quantity × list price in W, only the key-account model's price
    level reads it) is summed from the lines of W; False leaves it 0 and saves that query."""
    start, end = window(as_of, months)
    prev_start, _ = previous_window(as_of, months)
    day = timedelta(days=1)
    w_whole, w_edges = _ranges(start + day, end)  # W = (start, end]
    p_whole, p_edges = _ranges(prev_start + day, start)  # W′ = (prev_start, start]
    t_whole, t_edges = _ranges(DATE_MIN, end)  # to date

    queries = 1
    customers = {
        cid: CustomerFacts(cid, code, influence, reputation)
        for cid, code, influence, reputation in _raw_rows(
            Customer.objects.filter(is_deleted=False, merged_into__isnull=True).order_by().values_list("id", "code", "influence", "reputation")
        )
    }  # 1 (plain columns: no converter to skip)

    cents = BigIntegerField()  # sums of money as the stored integer cents: no per-value converter
    # totals[customer] = [sales W, cost W, lines W, sales W′, lines to date] (cents, counts)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    if t_whole is not None:
        in_w, in_p = _months(w_whole, "month"), _months(p_whole, "month")
        cells = (
            RevenueMonth.objects.filter(month__lte=t_whole[1])
            .values("customer_id")
            .annotate(
                s=Sum("revenue", filter=in_w, output_field=cents), c=Sum("cost", filter=in_w, output_field=cents),
                n=Sum("lines", filter=in_w), sp=Sum("revenue", filter=in_p, output_field=cents), t=Sum("lines"),
            )
            .order_by()
            .values_list("customer_id", "s", "c", "n", "sp", "t")
        )  # the summary's whole months, one row per customer with lines to date (dead customers: dropped below)
        queries += 1
        _add_sums(totals, _raw_rows(cells))
    edges = w_edges + p_edges + t_edges
    if edges:
        in_w, in_p, in_t = _days(w_edges, "order__order_date"), _days(p_edges, "order__order_date"), _days(t_edges, "order__order_date")
        orders = SalesOrder.objects.filter(_days(edges, "order_date")).order_by().values("pk")
        lines = (
            OrderLine.objects.filter(order_id__in=orders)
            .values("order__customer_id")
            .annotate(
                s=Sum("revenue", filter=in_w, output_field=cents), c=Sum("cost", filter=in_w, output_field=cents),
                n=Count("pk", filter=in_w), sp=Sum("revenue", filter=in_p, output_field=cents), t=Count("pk", filter=in_t),
            )
            .order_by()
            .values_list("order__customer_id", "s", "c", "n", "sp", "t")
        )  # the lines of the partial months at the edges (the orders' date index first)
        queries += 1
        _add_sums(totals, _raw_rows(lines))
    for cid, (s, c, n, sp, t) in totals.items():
        cf = customers.get(cid)
        if cf is None:
            continue
        cf.has_lines_to_date = t > 0
        if n:
            cf.has_lines_in_window = True
            cf.sales, cf.cost = _from_cents(s), _from_cents(c)
        cf.sales_prev = _from_cents(sp)
    if list_value:
        list_product = ExpressionWrapper(F("quantity") * F("product__list_price"), output_field=BigIntegerField())
        orders = SalesOrder.objects.filter(order_date__gt=start, order_date__lte=end).order_by().values("pk")
        for cid, lv in (
            OrderLine.objects.filter(order_id__in=orders)
            .values("order__customer_id").annotate(lv=Sum(list_product)).order_by().values_list("order__customer_id", "lv")
        ):  # Σ quantity × list price (the product's current list price) over the lines of W
            cf = customers.get(cid)
            if cf is not None and cf.has_lines_in_window:
                cf.list_value = int(lv or 0)
        queries += 1

    def grouped(queryset, date_field, amount_field="amount"):
        return (
            queryset.filter(**{f"{date_field}__gt": start, f"{date_field}__lte": end})
            .values("customer_id")
            .annotate(total=Sum(amount_field))
            .order_by()
        )

    for row in grouped(WriteOff.objects.all(), "written_on"):  # +1
        if row["customer_id"] in customers:
            customers[row["customer_id"]].write_offs = row["total"]
    for row in grouped(Contract.objects.all(), "signed_on"):  # +2
        if row["customer_id"] in customers:
            customers[row["customer_id"]].contract_volume = row["total"]
    for row in grouped(QualityLoss.objects.all(), "occurred_on"):  # +3
        if row["customer_id"] in customers:
            customers[row["customer_id"]].quality_losses = row["total"]
    open_opps = Opportunity.objects.filter(stage__is_closed=False).values("customer_id").annotate(total=Sum("amount")).order_by()
    for row in open_opps:  # +4
        if row["customer_id"] in customers:
            customers[row["customer_id"]].open_pipeline = row["total"]

    # Collection: every instalment of the contracts with an instalment due in W, and their payments ≤ D.
    contracts_due = Instalment.objects.filter(due_on__gt=start, due_on__lte=end).values("contract_id")
    instalments = defaultdict(list)
    owner = {}
    for row in Instalment.objects.filter(contract_id__in=contracts_due).values(
        "id", "seq", "due_on", "amount", "contract_id", "contract__customer_id"
    ):  # +5
        instalments[row["contract_id"]].append(row)
        owner[row["contract_id"]] = row["contract__customer_id"]
    payments = defaultdict(list)
    for row in Payment.objects.not_reversed().filter(contract_id__in=contracts_due, paid_on__lte=end).values(
        "id", "seq", "paid_on", "amount", "code", "contract_id"
    ):  # +6
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

    return Facts(as_of=as_of, months=months, start=start, customers=customers, queries=queries + 6)

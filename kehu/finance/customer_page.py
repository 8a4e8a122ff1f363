"""The customer page's money facts in ONE query: the aging of the customer (receivables panel and
summary card), its credit use (summary card and receivables panel) and its signed status
(receivables panel) — what `kehu.finance.aging.customer_aging`, `kehu.finance.services.credit.
credit_use` and `kehu.finance.lifecycle.customer_signed_status` compute in five queries, from
the same rows with the same rules (tests/test_custpage_facts.py compares them).

The rows: the customer's open receivables, every instalment of its contracts, and the total of its
confirmed orders without a contract (UNION ALL). Only while the customer page is drawn (its
`page_memo`); everything else calls the three functions.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import DateField, ExpressionWrapper, F, IntegerField, Sum, Value
from django.db.models.functions import Cast

from kehu.core.fields import MoneyField
from kehu.finance.aging import Buckets, CustomerAging, CustomerSummary, bucket_of, is_at_risk
from kehu.finance.lifecycle import SignedStatus
from kehu.finance.models import Instalment, Receivable
from kehu.finance.services.credit import INSTALMENT, RECEIVABLE, ZERO, CreditUse

UNSHIPPED = 3
COLUMNS = ("row_kind", "row_currency", "row_owed", "row_due", "row_contract", "row_seq", "row_paid_in_full", "row_signed")


@dataclass
class PageFacts:
    aging: CustomerSummary
    use: CreditUse
    signed: SignedStatus


def _rows(customer) -> list[tuple]:
    from kehu.sales.models import OrderLine, SalesOrder

    money = MoneyField()
    no_date = Value(None, output_field=DateField())
    no_int = Value(None, output_field=IntegerField())
    receivables = (
        Receivable.objects.filter(customer_id=customer.pk, open_amount__gt=0).order_by()
        .annotate(row_kind=Value(RECEIVABLE, output_field=IntegerField()), row_currency=F("currency"),
                  row_owed=ExpressionWrapper(F("open_amount"), output_field=money), row_due=F("due_on"),
                  row_contract=no_int, row_seq=no_int, row_paid_in_full=no_date, row_signed=no_date)
        .values_list(*COLUMNS)
    )
    instalments = (
        Instalment.objects.filter(contract__customer_id=customer.pk).order_by()
        .annotate(row_kind=Value(INSTALMENT, output_field=IntegerField()), row_currency=F("contract__currency"),
                  row_owed=ExpressionWrapper(F("amount") - F("applied"), output_field=money), row_due=F("due_on"),
                  row_contract=F("contract_id"), row_seq=Cast("seq", IntegerField()), row_paid_in_full=F("paid_in_full_on"),
                  row_signed=F("contract__signed_on"))
        .values_list(*COLUMNS)
    )
    unshipped = (
        OrderLine.objects.filter(order__customer_id=customer.pk, order__status=SalesOrder.Status.CONFIRMED, order__contract__isnull=True)
        .order_by().values("order__customer_id")
        .annotate(row_kind=Value(UNSHIPPED, output_field=IntegerField()), row_currency=Value(""),
                  row_owed=Sum("revenue", output_field=money), row_due=no_date,
                  row_contract=no_int, row_seq=no_int, row_paid_in_full=no_date, row_signed=no_date)
        .values_list(*COLUMNS)
    )
    return list(receivables.union(instalments, unshipped, all=True))


def page_facts(customer, *, today: date) -> PageFacts:
    """The three facts of `customer` (fetched through the reader's scope: its receivables and
    contracts are all visible) on `today`, from one query."""
    rows = _rows(customer)
    # customer_aging: open receivables, and due instalments not fully paid, by currency and bucket
    per_currency: dict[str, CustomerAging] = {}
    open_rows, receivables, instalments, unshipped = [], ZERO, ZERO, ZERO
    for kind, currency, owed, due_on, _contract, _seq, _full, _signed in rows:
        if kind == UNSHIPPED:
            unshipped += owed or ZERO
            continue
        if kind == INSTALMENT and not (due_on <= today and owed > 0):
            continue
        entry = per_currency.setdefault(currency, CustomerAging(customer_id=customer.pk, currency=currency, owner_id=customer.owner_id))
        entry.buckets.add({name: ZERO for name in ("current", "d0_30", "d31_60", "d61_90", "d90_plus")} | {bucket_of(due_on, today): owed})
        open_rows.append((owed, due_on))
        if kind == RECEIVABLE:
            receivables += owed
        else:
            instalments += owed
    aging = sorted(per_currency.values(), key=lambda r: r.currency)
    for r in aging:
        r.customer = customer
        r.is_at_risk = is_at_risk(r.buckets, customer.payment_attitude)
    # customer_signed_status: the first instalment of each contract signed by today paid in full by
    # today, and no instalment due by today paid late or still open
    plan = sorted(((c, s, d, f) for kind, _cur, _o, d, c, s, f, signed in rows if kind == INSTALMENT and signed <= today))
    first_paid, all_on_time, seen = False, True, set()
    for contract, _seq, due_on, full_on in plan:
        if contract not in seen:
            seen.add(contract)
            if full_on is not None and full_on <= today:
                first_paid = True
        if due_on <= today and (full_on is None or full_on > due_on):
            all_on_time = False
    return PageFacts(
        aging=CustomerSummary(per_currency=aging, is_at_risk=any(r.is_at_risk for r in aging)),
        use=CreditUse(currency=getattr(customer, "currency", "") or "CNY", limit=customer.credit_limit,
                      receivables=receivables, instalments=instalments, unshipped=unshipped, open_rows=tuple(open_rows)),
        signed=SignedStatus(is_signed=first_paid, is_qualified_signed=first_paid and all_on_time),
    )

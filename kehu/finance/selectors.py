"""Reads of finance that the pages and the API share. Every one starts from `visible_to(user)`
and owns its joins (select_related / prefetch_related / annotate), so a list costs the same
number of queries for 1 row and for 50. A page fetches one record with
`get_visible_or_404(<list>(user=...), pk=pk)`: hidden and missing answer 404 alike.

Receivables aging is `kehu.finance.aging`, commission `kehu.finance.commission`; both start
from the same scope."""

from datetime import date

from django.db.models import Prefetch, Q, QuerySet, Sum

from kehu.accounts.visibility import customer_scope, sees_all
from kehu.finance.models import CreditEvent, Instalment, Payment, PaymentAllocation, Receivable
from kehu.finance.services.contracts import CONTRACT_QUOTE_STATUSES
from kehu.finance.services.credit import reason_text
from kehu.sales.models import Contract, Opportunity, OrderLine, Quote, SalesOrder


# --- payments -----------------------------------------------------------------------------------

def _allocations() -> Prefetch:
    return Prefetch(
        "allocations",
        queryset=PaymentAllocation.objects.select_related("instalment", "instalment__contract", "receivable", "receivable__order").order_by("id"),
    )


PAYMENT_JOINS = ("customer", "contract", "receivable", "receivable__order", "recorded_by", "reversed_by")


def payments_by_ids(ids) -> list[Payment]:
    """The payments of `ids` (one page of `payment_list(...).values_list("pk")`), in that order,
    with `payment_list`'s joins: the page sorts ids only, not every visible payment's joined
    row (issue 13)."""
    ids = list(ids)
    found = Payment.objects.select_related(*PAYMENT_JOINS).in_bulk(ids) if ids else {}
    return [found[i] for i in ids if i in found]


def payment_list(
    *, user, customer_id: int | None = None, contract_id: int | None = None, text: str = "",
    date_from: date | None = None, date_to: date | None = None, with_allocations: bool = False,
) -> QuerySet:
    """The payments `user` sees, newest first; `text` matches the customer's name or code or the
    payment's code."""
    qs = Payment.objects.visible_to(user).select_related(*PAYMENT_JOINS)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if contract_id is not None:
        qs = qs.filter(contract_id=contract_id)
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(customer__name__icontains=text) | Q(customer__code__icontains=text) | Q(code__icontains=text))
    if date_from:
        qs = qs.filter(paid_on__gte=date_from)
    if date_to:
        qs = qs.filter(paid_on__lte=date_to)
    if with_allocations:
        qs = qs.prefetch_related(_allocations())
    return qs.order_by("-paid_on", "-pk")


def payment_totals(payments: QuerySet) -> list[dict]:
    """[{currency, total, on_account}] of a payment list, one row per currency (one query);
    reversed payments count in no sum."""
    return list(payments.not_reversed().order_by().values("currency").annotate(total=Sum("amount"), on_account=Sum("on_account")).order_by("currency"))


# The customer page's timeline shows 30 rows of each source; the orders panel the first 10 contracts
# and orders, the finance panel the first 3 payments of the same reads (kehu.customers.selectors.page_memo_rows).
CUSTOMER_PAGE_READ = 30


def customer_payments(*, user, customer, limit: int) -> list[Payment]:
    """The customer's latest payments, newest first, with their contract and recorder; one read
    on the customer page for the timeline and the finance panel."""
    from kehu.customers.selectors import page_memo_rows

    def qs():
        return (Payment.objects.visible_to(user).filter(customer_id=customer.pk)
                .select_related("contract", "recorded_by").order_by("-paid_on", "-pk"))

    return page_memo_rows(customer, "finance.payments", user=user, queryset=qs, limit=limit, read=CUSTOMER_PAGE_READ)


def customer_contracts(*, user, customer, limit: int) -> list:
    """The customer's latest contracts (signed last first) with their owner, amount received and
    next open instalment; one read on the customer page for the timeline and the orders panel."""
    from django.db.models import OuterRef, Subquery

    from kehu.customers.selectors import page_memo_rows

    def qs():
        next_due = Instalment.objects.filter(contract_id=OuterRef("pk"), paid_in_full_on__isnull=True).order_by("due_on", "seq")
        return (Contract.objects.visible_to(user).filter(customer_id=customer.pk).select_related("owner")
                .annotate(received=Sum("instalments__applied"), next_due_on=Subquery(next_due.values("due_on")[:1]),
                          next_due_amount=Subquery(next_due.values("amount")[:1]),
                          next_due_applied=Subquery(next_due.values("applied")[:1]))
                .order_by("-signed_on", "-id"))

    return page_memo_rows(customer, "finance.contracts", user=user, queryset=qs, limit=limit, read=CUSTOMER_PAGE_READ)


def customer_orders(*, user, customer, limit: int) -> list:
    """The customer's latest sales orders with their owner and total; one read on the customer
    page for the timeline and the orders panel."""
    from kehu.customers.selectors import page_memo_rows

    def qs():
        return (SalesOrder.objects.visible_to(user).filter(customer_id=customer.pk).select_related("owner")
                .annotate(total=Sum("lines__revenue")).order_by("-order_date", "-id"))

    return page_memo_rows(customer, "finance.orders", user=user, queryset=qs, limit=limit, read=CUSTOMER_PAGE_READ)


def customer_last_payments(*, user, customer, limit: int = 3) -> list[Payment]:
    return customer_payments(user=user, customer=customer, limit=limit)


# --- receivables --------------------------------------------------------------------------------

def receivable_list(*, user, customer_id: int | None = None, is_open: bool | None = None) -> QuerySet:
    qs = Receivable.objects.visible_to(user).select_related("customer", "customer__owner", "order", "order__owner")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if is_open:
        qs = qs.filter(open_amount__gt=0)
    return qs


def receivable_allocations(receivable) -> list[PaymentAllocation]:
    return list(receivable.allocations.select_related("payment").order_by("payment__paid_on", "pk"))


def receivable_write_offs(receivable) -> list:
    return list(receivable.write_offs.select_related("user").order_by("written_on", "pk"))


# --- contracts ----------------------------------------------------------------------------------

def contract_list(*, user, customer_id: int | None = None, with_plan: bool = False) -> QuerySet:
    qs = Contract.objects.visible_to(user).select_related("customer", "owner", "opportunity", "quote")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if with_plan:
        qs = qs.prefetch_related(Prefetch("instalments", queryset=Instalment.objects.order_by("seq")))
    return qs


def contract_sources(*, user, customer) -> tuple[list[Opportunity], list[Quote]]:
    """What a new contract of `customer` can come from: won opportunities and approved / sent /
    accepted quotes, newest first."""
    opportunities = list(Opportunity.objects.visible_to(user).filter(customer_id=customer.pk, stage__is_won=True).order_by("-id"))
    quotes = list(Quote.objects.visible_to(user).filter(customer_id=customer.pk, status__in=CONTRACT_QUOTE_STATUSES).order_by("-id"))
    return opportunities, quotes


def contract_source_gaps(*, user, customer) -> dict:
    """When a customer has no source for a contract yet: how many open opportunities and quotes
    not approved yet (draft, waiting for approval) it has, to say what is missing."""
    return {
        "open_opportunities": Opportunity.objects.visible_to(user).filter(customer_id=customer.pk, stage__is_closed=False).count(),
        "quotes_waiting": Quote.objects.visible_to(user).filter(customer_id=customer.pk, status__in=(Quote.Status.DRAFT, Quote.Status.PENDING)).count(),
    }


def contract_plan_rows(contract, today: date) -> list[dict]:
    """The contract's instalments with what is open, whether overdue, whether paid late."""
    rows = []
    for i in Instalment.objects.filter(contract_id=contract.pk).order_by("seq"):
        rows.append({"obj": i, "open": i.amount - i.applied, "is_overdue": i.paid_in_full_on is None and i.due_on < today,
                     "late": i.paid_in_full_on is not None and i.paid_in_full_on > i.due_on})
    return rows


def contract_allocations(contract) -> list[PaymentAllocation]:
    return list(PaymentAllocation.objects.filter(instalment__contract_id=contract.pk)
                .select_related("payment", "instalment").order_by("-payment__paid_on", "-payment_id", "instalment__seq"))


# --- orders -------------------------------------------------------------------------------------

def order_list(*, user, customer_id: int | None = None, contract_id: int | None = None, status: str | None = None,
               with_lines: bool = False) -> QuerySet:
    """The orders `user` sees, newest first, each with `total` (Σ line revenue). The order list
    and credit holds page `order_page_ids` instead (the same rows and order) and sum only the
    page's lines (issue 13)."""
    qs = SalesOrder.objects.visible_to(user).select_related("customer", "owner", "contract").annotate(total=Sum("lines__revenue"))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if contract_id is not None:
        qs = qs.filter(contract_id=contract_id)
    if status:
        qs = qs.filter(status=status)
    if with_lines:
        qs = qs.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id")))
    return qs.order_by("-order_date", "-id")


def order_page_ids(*, user, status: str | None = None) -> QuerySet:
    """The ids of the orders `order_list` gives `user` (same rows, same order: newest first), for
    a pager; `orders_by_ids` then loads one page. Who sees every customer walks the order_date
    index, skipping the orders of customers in the recycle bin (`NOT IN`, a short list: the join
    made SQLite build a filter over every customer first); a manager or rep reads the orders of
    their customers (`customer_id IN (…)`) through the (customer, order_date) and (customer,
    status, order_date) indexes and sorts only those ids."""
    from kehu.customers.models import Customer

    if sees_all(user):
        qs = SalesOrder.objects.exclude(customer_id__in=Customer.objects.filter(is_deleted=True).values("id"))
    elif status:
        qs = SalesOrder.objects.visible_to(user)  # one status: the (status, order_date) index, joined to the scope
    else:
        qs = SalesOrder.objects.filter(customer_id__in=Customer.objects.filter(customer_scope(user)).values("id"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-order_date", "-id").values_list("id", flat=True)


def orders_by_ids(ids) -> list:
    """The orders of `ids` in that order, with customer, owner, contract and `total` (3 queries
    at most whatever the number)."""
    ids = list(ids)
    found = SalesOrder.objects.select_related("customer", "owner", "contract").in_bulk(ids) if ids else {}
    return order_totals([found[i] for i in ids if i in found])


def order_totals(orders) -> list:
    """Set `total` (Σ line revenue; None without lines, as the annotation gives) on each of
    `orders` (one page) in one grouped query over their lines."""
    orders = list(orders)
    ids = [o.pk for o in orders]
    sums = dict(
        OrderLine.objects.filter(order_id__in=ids).order_by().values("order_id").annotate(s=Sum("revenue")).values_list("order_id", "s")
    ) if ids else {}
    for o in orders:
        o.total = sums.get(o.pk)
    return orders


def order_lines(order) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order_id=order.pk).select_related("product").order_by("id"))


def order_credit_events(order) -> list[dict]:
    """The order's credit blocks and releases, newest first, each with its reasons as sentences."""
    rows = []
    for e in CreditEvent.objects.filter(order_id=order.pk).select_related("user").order_by("-at", "-id"):
        reasons = [reason_text(r.get("code", ""), r) for r in (e.details or {}).get("reasons", [])]
        rows.append({"obj": e, "reasons": reasons})
    return rows


def order_receivables(order) -> list[Receivable]:
    return list(Receivable.objects.filter(order_id=order.pk).order_by("id"))

"""Receivables aging and the bad-debt risk flag (DOMAIN.md §4), computed in SQL.

**What is owed.** Two kinds of open amounts age:
- receivables (`Receivable.open_amount > 0`), created when an order **without a contract** ships;
- instalments of a contract's payment plan that are **due** (`due_on <= as_of`) and not fully
  paid (open = amount − applied). An order on a contract is billed through the contract's
  instalments and issues no receivable, so the same money is never counted twice. An
  instalment not yet due is a plan, not a debt, and is left out.

Open amounts are today's (payments and write-offs recorded so far); `as_of` (default today)
decides how many days each one is overdue.

**Buckets** by days overdue = as_of − due_on:
- `current` — not yet due (as_of < due_on);
- `d0_30` — 0..30 days past due (due today is 0 days overdue and is in this bucket);
- `d31_60` — 31..60; `d61_90` — 61..90; `d90_plus` — more than 90 (91 and up).
"Overdue" is the sum of the four past-due buckets.

**Bad-debt risk** (`is_at_risk`): a customer is at risk when, in some currency, it has an open
amount more than 90 days overdue (bucket `d90_plus` > 0), or an open amount more than 60 days
overdue (buckets `d61_90` + `d90_plus` > 0) while its payment attitude is one of the two worst
choices of the data card, 为难 difficult or 欠款 in arrears (`RISKY_ATTITUDES`).

Every read starts from `visible_to(user)`. The per-customer sums are two grouped queries
(CASE WHEN sums, one over receivables, one over instalments) whatever the number of rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, F, Sum, Value, When
from django.utils import timezone

from kehu.core.fields import MoneyField
from kehu.customers.models import Customer
from kehu.finance.models import Instalment, Receivable

ZERO = Decimal("0.00")
BUCKETS = ("current", "d0_30", "d31_60", "d61_90", "d90_plus")
OVERDUE_BUCKETS = BUCKETS[1:]
RISKY_ATTITUDES = frozenset({Customer.PaymentAttitude.DIFFICULT, Customer.PaymentAttitude.ARREARS})


def days_overdue(due_on: date, as_of: date) -> int:
    """as_of − due_on in days (negative: not yet due)."""
    return (as_of - due_on).days


def bucket_of(due_on: date, as_of: date) -> str:
    """The bucket of an amount due on `due_on`, on the day `as_of` (see the module docstring)."""
    days = days_overdue(due_on, as_of)
    if days < 0:
        return "current"
    if days <= 30:
        return "d0_30"
    if days <= 60:
        return "d31_60"
    if days <= 90:
        return "d61_90"
    return "d90_plus"


@dataclass
class Buckets:
    current: Decimal = ZERO
    d0_30: Decimal = ZERO
    d31_60: Decimal = ZERO
    d61_90: Decimal = ZERO
    d90_plus: Decimal = ZERO

    def add(self, other: "Buckets | dict") -> None:
        for name in BUCKETS:
            value = other[name] if isinstance(other, dict) else getattr(other, name)
            setattr(self, name, getattr(self, name) + (value or ZERO))

    @property
    def overdue(self) -> Decimal:
        return sum((getattr(self, b) for b in OVERDUE_BUCKETS), ZERO)

    @property
    def total(self) -> Decimal:
        return self.current + self.overdue

    @property
    def over_60(self) -> Decimal:
        return self.d61_90 + self.d90_plus


def is_at_risk(buckets: Buckets, payment_attitude: str) -> bool:
    """The bad-debt risk rule of the module docstring, for one customer's amounts in one currency."""
    if buckets.d90_plus > 0:
        return True
    return buckets.over_60 > 0 and payment_attitude in RISKY_ATTITUDES


def _bucket_sums(amount, due_field: str, as_of: date) -> dict:
    """{bucket: Sum(CASE WHEN due in bucket THEN amount ELSE 0)} — date thresholds, no date arithmetic in SQL."""
    t30, t60, t90 = (as_of - timedelta(days=n) for n in (30, 60, 90))

    def total(*conditions):
        return Sum(Case(*conditions, default=Value(0), output_field=MoneyField()))

    return {
        "current": total(When(**{f"{due_field}__gt": as_of}, then=amount)),
        "d0_30": total(When(**{f"{due_field}__gt": as_of}, then=Value(0)), When(**{f"{due_field}__gte": t30}, then=amount)),
        "d31_60": total(When(**{f"{due_field}__gte": t30}, then=Value(0)), When(**{f"{due_field}__gte": t60}, then=amount)),
        "d61_90": total(When(**{f"{due_field}__gte": t60}, then=Value(0)), When(**{f"{due_field}__gte": t90}, then=amount)),
        "d90_plus": total(When(**{f"{due_field}__lt": t90}, then=amount)),
    }


def open_receivables(*, user):
    return Receivable.objects.visible_to(user).filter(open_amount__gt=0)


def open_instalments(*, user, as_of: date):
    """Due, not fully paid instalments (see the module docstring)."""
    return Instalment.objects.visible_to(user).filter(due_on__lte=as_of, applied__lt=F("amount"))


def instalment_totals(*, user, as_of: date) -> dict[str, dict]:
    """{currency: {bucket: Σ open}} of `open_instalments(user=user, as_of=as_of)` — the same rows,
    the contract's currency, in the buckets of `bucket_of` (two queries, no per-customer rows).

    SQL sums the open amounts per currency and due date (one row a day; the buckets are added up
    here with `bucket_of`, cheaper than five CASE sums over every row). For a reader who sees
    every live customer (director, finance) the big part — the contracts in the default currency —
    is read without a join: the instalments of the partial covering index
    `instalment_open_due_idx` minus those of the contracts in another currency and of the
    customers in the recycle bin (two uncorrelated NOT IN lists of few rows; a join to the
    contract and the customer per instalment costs more than the sum itself). The contracts in
    another currency are summed through the join. Any other reader: one grouped join (their
    customers are a part, not all but a few).
    """
    from kehu.accounts.visibility import sees_all
    from kehu.sales.models import Contract

    totals: dict[str, dict] = {}

    def add(rows, currency=None):
        for r in rows:
            entry = totals.setdefault(currency or r["contract__currency"], dict.fromkeys(BUCKETS, ZERO))
            entry[bucket_of(r["due_on"], as_of)] += r["open"]

    def per_day(qs, *keys):
        return qs.order_by().values(*keys, "due_on").annotate(open=Sum(F("amount") - F("applied"), output_field=MoneyField()))

    if not sees_all(user):
        add(per_day(open_instalments(user=user, as_of=as_of), "contract__currency"))
        return dict(sorted(totals.items()))
    default = Contract._meta.get_field("currency").default
    others = Contract.objects.exclude(currency=default).order_by().values("pk")
    add(per_day(open_instalments(user=user, as_of=as_of).filter(contract_id__in=others), "contract__currency"))
    dead = Contract.objects.filter(customer_id__in=_dead_customers()).order_by().values("pk")
    add(per_day(Instalment.objects.filter(due_on__lte=as_of, applied__lt=F("amount"))
                .exclude(contract_id__in=others).exclude(contract_id__in=dead)), currency=default)
    return dict(sorted(totals.items()))


def receivable_totals(*, user, as_of: date) -> dict[str, dict]:
    """{currency: {bucket: Σ open}} of `open_receivables(user=user)`, summed in SQL (one query).
    For a reader who sees every live customer, without the join to the customer: the open
    receivables (partial covering index `receivable_open_due_idx`) minus those of customers in
    the recycle bin (an uncorrelated NOT IN of few rows)."""
    from kehu.accounts.visibility import sees_all

    qs = open_receivables(user=user) if not sees_all(user) else (
        Receivable.objects.filter(open_amount__gt=0).exclude(customer_id__in=_dead_customers()))
    return {r["currency"]: {name: Decimal(r[name] or 0) for name in BUCKETS}
            for r in qs.order_by().values("currency").annotate(**_bucket_sums(F("open_amount"), "due_on", as_of))}


def _dead_customers():
    """The customers in the recycle bin (`IN (true)`: read from the is_deleted index)."""
    return Customer.objects.filter(is_deleted__in=[True]).order_by().values("pk")


def company_totals(*, user, as_of: date) -> dict[str, Buckets]:
    """{currency: Buckets}: the aging report's company totals (the same rows, the same buckets) for
    `user`, straight from SQL — three queries, no per-customer rows (the 工作台's aging card)."""
    totals: dict[str, Buckets] = defaultdict(Buckets)
    for part in (receivable_totals(user=user, as_of=as_of), instalment_totals(user=user, as_of=as_of)):
        for currency, sums in part.items():
            totals[currency].add(sums)
    return dict(sorted(totals.items()))


@dataclass
class CustomerAging:
    customer_id: int
    currency: str
    owner_id: int | None
    buckets: Buckets = field(default_factory=Buckets)
    customer: Customer | None = None
    owner: object = None
    is_at_risk: bool = False


def aging_by_customer(*, user, as_of: date | None = None, customer_ids=None) -> dict[tuple[int, str], CustomerAging]:
    """{(customer id, currency): CustomerAging} over the visible customers (two queries)."""
    as_of = as_of or timezone.localdate()
    receivables = open_receivables(user=user)
    instalments = open_instalments(user=user, as_of=as_of)
    if customer_ids is not None:
        receivables = receivables.filter(customer_id__in=customer_ids)
        instalments = instalments.filter(contract__customer_id__in=customer_ids)
    rows = list(
        receivables.order_by().values("customer_id", "currency", "customer__owner_id")
        .annotate(**_bucket_sums(F("open_amount"), "due_on", as_of))
    )
    rows += [
        {"customer_id": r["contract__customer_id"], "currency": r["contract__currency"], "customer__owner_id": r["contract__customer__owner_id"], **r}
        for r in instalments.order_by().values("contract__customer_id", "contract__currency", "contract__customer__owner_id")
        .annotate(**_bucket_sums(F("amount") - F("applied"), "due_on", as_of))
    ]
    result: dict[tuple[int, str], CustomerAging] = {}
    for r in rows:
        key = (r["customer_id"], r["currency"])
        entry = result.setdefault(key, CustomerAging(customer_id=r["customer_id"], currency=r["currency"], owner_id=r["customer__owner_id"]))
        entry.buckets.add(r)
    return result


@dataclass
class RepAging:
    owner_id: int | None
    currency: str
    owner: object = None
    buckets: Buckets = field(default_factory=Buckets)
    customers: int = 0
    at_risk: int = 0


@dataclass
class AgingReport:
    as_of: date
    company: list  # [(currency, Buckets)]
    reps: list  # [RepAging]
    customers: list  # [CustomerAging], largest overdue first; `customer` / `owner` filled


def aging_report(*, user, as_of: date | None = None) -> AgingReport:
    """Company totals per currency, per rep (the customer's owner) and per customer; a fixed number of queries.

    `customers` is the full sorted list without the Customer objects; call `fill_customers`
    on the page of it you show.
    """
    from kehu.accounts.models import User

    as_of = as_of or timezone.localdate()
    by_customer = aging_by_customer(user=user, as_of=as_of)
    attitudes = dict(
        Customer.objects.filter(pk__in={cid for cid, _c in by_customer}).values_list("pk", "payment_attitude")
    ) if by_customer else {}
    company: dict[str, Buckets] = defaultdict(Buckets)
    reps: dict[tuple, RepAging] = {}
    for entry in by_customer.values():
        entry.is_at_risk = is_at_risk(entry.buckets, attitudes.get(entry.customer_id, ""))
        company[entry.currency].add(entry.buckets)
        rep = reps.setdefault((entry.owner_id, entry.currency), RepAging(owner_id=entry.owner_id, currency=entry.currency))
        rep.buckets.add(entry.buckets)
        rep.customers += 1
        rep.at_risk += entry.is_at_risk
    owners = User.objects.in_bulk({k[0] for k in reps if k[0] is not None}) if reps else {}
    for rep in reps.values():
        rep.owner = owners.get(rep.owner_id)
    customers = sorted(by_customer.values(), key=lambda e: (-e.buckets.overdue, -e.buckets.total, e.customer_id))
    return AgingReport(
        as_of=as_of,
        company=sorted(company.items()),
        reps=sorted(reps.values(), key=lambda r: (-r.buckets.overdue, r.currency, r.owner_id or 0)),
        customers=customers,
    )


def fill_customers(rows: list[CustomerAging], *, user) -> list[CustomerAging]:
    """Attach the Customer and its owner to the rows of one page (one query, visibility-scoped)."""
    customers = Customer.objects.visible_to(user).select_related("owner").in_bulk({r.customer_id for r in rows}) if rows else {}
    for r in rows:
        r.customer = customers.get(r.customer_id)
        r.owner = r.customer.owner if r.customer else None
    return rows


@dataclass
class CustomerSummary:
    """What the customer page's finance panel shows."""

    per_currency: list  # [CustomerAging]
    is_at_risk: bool


def customer_aging(*, user, customer, as_of: date | None = None) -> CustomerSummary:
    """The aging of one customer the caller already fetched through the visibility scope (two queries)."""
    rows = aging_by_customer(user=user, as_of=as_of, customer_ids=[customer.pk])
    per_currency = sorted(rows.values(), key=lambda r: r.currency)
    for r in per_currency:
        r.customer = customer
        r.is_at_risk = is_at_risk(r.buckets, customer.payment_attitude)
    return CustomerSummary(per_currency=per_currency, is_at_risk=any(r.is_at_risk for r in per_currency))

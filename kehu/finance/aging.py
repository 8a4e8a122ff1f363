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

from kehu.core.dbrouter import read_connection
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


def _cents(value) -> Decimal:
    """Integer cents from a raw SQL sum -> Decimal to the cent (as MoneyField reads them)."""
    return Decimal(int(value or 0)).scaleb(-2).quantize(Decimal("0.01"))


def _buckets_from_cents(cur, total, a30, a60, a90) -> Buckets:
    """The five buckets from the cumulative sums of `_customer_rows_sql`: `cur` = not yet due,
    `total` = everything open, `aN` = due before as_of − N days (more than N days overdue)."""
    return Buckets(
        current=_cents(cur), d0_30=_cents(total - cur - a30), d31_60=_cents(a30 - a60),
        d61_90=_cents(a60 - a90), d90_plus=_cents(a90),
    )


def _sql_of(qs) -> tuple[str, list]:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _where_on_customers(qs) -> tuple[str, list]:
    """The WHERE of a queryset of Customer as SQL on the table "customers_customer" (not aliased):
    the reader's scope applied to the joined customer row, no subquery."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    query = qs.query
    try:
        sql, params = query.where.as_sql(query.get_compiler(connection=connection), connection)
    except EmptyResultSet:  # a reader who sees no customer
        return "1 = 0", []
    return sql or "1 = 1", list(params)


def _customer_rows_sql(*, user, as_of: date) -> tuple[str, list]:
    """`WITH … rows AS (…)`: one row per (customer, currency) that owes something, for the
    customers `user` sees — customer_id, currency, owner_id, integer-cent sums cur (not yet due),
    total, a30/a60/a90 (due more than 30/60/90 days ago), overdue (= total − cur) and risk (0/1,
    `is_at_risk`). Sums are over the same rows as `aging_by_customer` (open receivables, due
    unpaid instalments); three single-comparison sums per row instead of five CASE chains (the
    buckets are their differences, `_buckets_from_cents`). Instalments are summed per contract
    first (partial covering index `instalment_open_contract_idx`), then per customer."""
    from django.db.models import IntegerField

    from kehu.accounts.visibility import sees_all
    from kehu.sales.models import Contract

    t30, t60, t90 = (as_of - timedelta(days=n) for n in (30, 60, 90))
    cents = IntegerField()

    def below(amount, threshold):
        return Sum(Case(When(due_on__lt=threshold, then=amount), default=Value(0), output_field=cents), output_field=cents)

    open_inst = F("amount") - F("applied")
    inst = (
        Instalment.objects.filter(due_on__lte=as_of, applied__lt=F("amount")).order_by().values("contract_id")
        .annotate(s=Sum(open_inst, output_field=cents), a30=below(open_inst, t30), a60=below(open_inst, t60), a90=below(open_inst, t90))
    )
    rec = (
        Receivable.objects.filter(open_amount__gt=0).order_by().values("customer_id", "currency")
        .annotate(cur=Sum(Case(When(due_on__gt=as_of, then=F("open_amount")), default=Value(0), output_field=cents), output_field=cents),
                  s=Sum(F("open_amount"), output_field=cents),
                  a30=below(F("open_amount"), t30), a60=below(F("open_amount"), t60), a90=below(F("open_amount"), t90))
    )
    if not sees_all(user) and not user.is_manager:  # a rep: read only the rows of their customers and the pool
        visible = Customer.objects.visible_to(user).order_by().values("pk")
        inst = inst.filter(contract_id__in=Contract.objects.filter(customer_id__in=visible).order_by().values("pk"))
        rec = rec.filter(customer_id__in=visible)
    inst_sql, inst_params = _sql_of(inst)
    rec_sql, rec_params = _sql_of(rec)
    scope_sql, scope_params = _where_on_customers(Customer.objects.visible_to(user).order_by())
    risky = sorted(RISKY_ATTITUDES)
    sql = f"""
WITH inst AS ({inst_sql}),
rec AS ({rec_sql}),
parts AS (
  SELECT k.customer_id AS customer_id, k.currency AS currency, 0 AS cur, i.s AS s, i.a30 AS a30, i.a60 AS a60, i.a90 AS a90
  FROM inst i INNER JOIN sales_contract k ON k.id = i.contract_id
  UNION ALL
  SELECT r.customer_id, r.currency, r.cur, r.s, r.a30, r.a60, r.a90 FROM rec r
),
pc AS (
  SELECT p.customer_id AS customer_id, p.currency AS currency, SUM(p.cur) AS cur, SUM(p.s) AS s,
         SUM(p.a30) AS a30, SUM(p.a60) AS a60, SUM(p.a90) AS a90
  FROM parts p GROUP BY p.customer_id, p.currency
),
rows AS (
  SELECT pc.customer_id AS customer_id, pc.currency AS currency, customers_customer.owner_id AS owner_id, pc.cur AS cur, pc.s AS s,
         pc.a30 AS a30, pc.a60 AS a60, pc.a90 AS a90, pc.s - pc.cur AS overdue,
         CASE WHEN pc.a90 > 0 OR (pc.a60 > 0 AND customers_customer.payment_attitude IN ({", ".join(["%s"] * len(risky))})) THEN 1 ELSE 0 END AS risk
  FROM pc INNER JOIN customers_customer ON customers_customer.id = pc.customer_id
  WHERE {scope_sql}
)"""
    return sql, [*inst_params, *rec_params, *risky, *scope_params]


_ROW_ORDER = "overdue DESC, s DESC, customer_id ASC, currency ASC"  # = sorted(key=(-overdue, -total, customer id))


def _customer_from_row(row) -> CustomerAging:
    customer_id, currency, owner_id, cur, total, a30, a60, a90, risk = row
    return CustomerAging(customer_id=customer_id, currency=currency, owner_id=owner_id,
                         buckets=_buckets_from_cents(cur, total, a30, a60, a90), is_at_risk=bool(risk))


def _run(sql: str, params: list) -> list[tuple]:
    from django.db import connection

    with read_connection().cursor() as cursor:  # ops: a replica for the report (kehu/core/dbrouter.py)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _reps_and_company(rep_rows) -> tuple[list, list]:
    """(company [(currency, Buckets)], reps [RepAging] sorted) from the per-(owner, currency) rows."""
    from kehu.accounts.models import User

    company: dict[str, Buckets] = defaultdict(Buckets)
    reps = []
    for owner_id, currency, cur, total, a30, a60, a90, customers, at_risk in rep_rows:
        buckets = _buckets_from_cents(cur, total, a30, a60, a90)
        company[currency].add(buckets)
        reps.append(RepAging(owner_id=owner_id, currency=currency, buckets=buckets, customers=int(customers), at_risk=int(at_risk or 0)))
    owners = User.objects.in_bulk({r.owner_id for r in reps if r.owner_id is not None}) if reps else {}
    for rep in reps:
        rep.owner = owners.get(rep.owner_id)
    reps.sort(key=lambda r: (-r.buckets.overdue, r.currency, r.owner_id or 0))
    return sorted(company.items()), reps


_REP_SELECT = ("SELECT 0, owner_id, currency, NULL, SUM(cur), SUM(s), SUM(a30), SUM(a60), SUM(a90), COUNT(*), SUM(risk) "
               "FROM rows GROUP BY owner_id, currency")


def _rep_tuple(r) -> tuple:
    """A row of `_REP_SELECT` as (owner_id, currency, cur, total, a30, a60, a90, customers, at_risk)."""
    return (r[1], r[2], *r[4:11])


_CUSTOMER_COLUMNS = "customer_id, currency, owner_id, cur, s, a30, a60, a90, risk"


@dataclass
class AgingPage:
    as_of: date
    company: list  # [(currency, Buckets)]
    reps: list  # [RepAging]
    rows: list  # [CustomerAging] of the page (not filled)
    total: int  # rows (customer, currency) under the filter
    has_next: bool


def aging_page(*, user, as_of: date | None = None, offset: int = 0, limit: int = 50) -> AgingPage:
    """The aging page in ONE query: the per-rep sums (the company's are their sum: every row has
    one owner or none) and `limit` customer rows from `offset`, largest overdue first, all from
    the same per-customer rows (`_customer_rows_sql`, materialised once), plus one for the reps'
    names. Same figures as `aging_report`."""
    as_of = as_of or timezone.localdate()
    head, params = _customer_rows_sql(user=user, as_of=as_of)
    sql = (f"{head}\n{_REP_SELECT}\nUNION ALL\nSELECT * FROM (SELECT 1, owner_id, currency, customer_id, cur, s, a30, a60, a90, 1, risk "
           f"FROM rows ORDER BY {_ROW_ORDER} LIMIT %s OFFSET %s) page")
    result = _run(sql, [*params, limit + 1, offset])
    page = [_customer_from_row((r[3], r[2], r[1], *r[4:9], r[10])) for r in result if r[0] == 1]
    company, reps = _reps_and_company([_rep_tuple(r) for r in result if r[0] == 0])
    return AgingPage(as_of=as_of, company=company, reps=reps, rows=page[:limit],
                     total=sum(r.customers for r in reps), has_next=len(page) > limit)


def aging_rows(*, user, as_of: date, chunk_size: int = 2000):
    """Every (customer, currency) row, in the page's order, as CustomerAging with `customer`
    filled — fetched in chunks for the export (one query per chunk, constant memory)."""
    head, params = _customer_rows_sql(user=user, as_of=as_of)
    from django.db import connection

    with read_connection().cursor() as cursor:  # ops: a replica for the report (kehu/core/dbrouter.py)
        cursor.execute(f"{head}\nSELECT {_CUSTOMER_COLUMNS} FROM rows ORDER BY {_ROW_ORDER}", params)
        while True:
            chunk = cursor.fetchmany(chunk_size)
            if not chunk:
                return
            yield [_customer_from_row(r) for r in chunk]


def aging_report(*, user, as_of: date | None = None) -> AgingReport:
    """Company totals per currency, per rep (the customer's owner) and per customer; two queries
    in SQL (`_customer_rows_sql`) and one for the reps' names.

    `customers` is the full sorted list without the Customer objects; call `fill_customers`
    on the page of it you show (the page itself uses `aging_page`, which reads one page).
    """
    as_of = as_of or timezone.localdate()
    head, params = _customer_rows_sql(user=user, as_of=as_of)
    company, reps = _reps_and_company([_rep_tuple(r) for r in _run(f"{head}\n{_REP_SELECT}", params)])
    customers = [_customer_from_row(r) for r in _run(f"{head}\nSELECT {_CUSTOMER_COLUMNS} FROM rows ORDER BY {_ROW_ORDER}", params)]
    return AgingReport(as_of=as_of, company=company, reps=reps, customers=customers)


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

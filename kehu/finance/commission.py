"""Sales commission (DOMAIN.md §4): earned on collected money, not on orders.

Rule:
- A **commission line** is one application of a payment (a PaymentAllocation to an instalment
  or a receivable) whose payment is dated in the period (`from <= paid_on <= to`).
- It earns `round(collected × rate ÷ 100, 2)`, half-up to the cent **per line**, where the rate
  is the commission rate % of the customer's policy (`kehu.sales.policy.customer_policies`:
  the tier policy, else the company default) at report time. Totals are exact sums of the
  rounded lines.
- The **rep** of a line is the contract's owner when the payment names a contract; else the
  owner of the order of the receivable it names; else (or when that owner is empty) the
  customer's owner at report time. A line with no rep at all (a pool customer) is listed
  under "no owner".
- The part of a payment kept **on account** earns nothing until it is applied: only
  allocations count. When it is applied later (a contract's payments are applied again), the
  new allocation earns in the period of the payment's date.

Scope: by the **credited rep**, not by who sees the customer today — a rep sees the lines
credited to themselves, a manager those credited to themselves and to the members of the teams
they manage (`managed_user_ids`), finance and admins all lines (also "no owner"). A rep keeps
seeing the commission earned before a handover even though the customer is no longer theirs;
the detail line then shows the customer's name without a link (`customer_visible`, decided in
the same query as the lines).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, Exists, F, IntegerField, OuterRef, When
from django.db.models.functions import Coalesce

from kehu.accounts.visibility import managed_user_ids, sees_all
from kehu.core.dbrouter import read_connection
from kehu.core.money import quantize_cents
from kehu.customers.models import Customer
from kehu.finance.models import PaymentAllocation
from kehu.sales.policy import customer_policies

ZERO = Decimal("0.00")


def commission_amount(collected: Decimal, rate_pct: Decimal) -> Decimal:
    """collected × rate ÷ 100, half-up to the cent."""
    return quantize_cents(collected * rate_pct / 100)


def _rep_expression():
    return Case(
        When(payment__contract__isnull=False, then=Coalesce(F("payment__contract__owner_id"), F("payment__customer__owner_id"), output_field=IntegerField())),
        When(receivable__order__owner__isnull=False, then=F("receivable__order__owner_id")),
        default=F("payment__customer__owner_id"),
        output_field=IntegerField(),
    )


def commission_lines_queryset(*, user, date_from: date, date_to: date):
    """The allocations of the period credited to the reps the user may see (the scope above),
    annotated with `rep_id` (the rule above)."""
    qs = (
        PaymentAllocation.objects.filter(payment__paid_on__gte=date_from, payment__paid_on__lte=date_to)
        .annotate(rep_id=_rep_expression())
    )
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if sees_all(user):
        return qs
    if user.is_manager:
        return qs.filter(rep_id__in=managed_user_ids(user))
    return qs.filter(rep_id=user.pk)


@dataclass
class CommissionLine:
    payment_code: str
    paid_on: date
    customer_id: int
    customer_name: str
    currency: str
    collected: Decimal
    rate_pct: Decimal
    commission: Decimal
    rep_id: int | None
    rep: object = None
    customer_visible: bool = True  # False: the user may no longer open the customer (name without a link)


@dataclass
class RepCommission:
    rep_id: int | None
    currency: str
    rep: object = None
    collected: Decimal = ZERO
    commission: Decimal = ZERO
    lines: int = 0


def commission_report(*, user, date_from: date, date_to: date) -> tuple[list[RepCommission], list[CommissionLine]]:
    """(per-rep totals, lines newest first) of the period; a fixed number of queries."""
    from kehu.accounts.models import User

    rows = list(
        commission_lines_queryset(user=user, date_from=date_from, date_to=date_to)
        .order_by("-payment__paid_on", "-payment_id", "pk")
        .annotate(customer_visible=Exists(Customer.objects.visible_to(user).filter(pk=OuterRef("payment__customer_id"))))
        .values("customer_visible", "rep_id", "amount", "payment__code", "payment__paid_on", "payment__currency", "payment__customer_id", "payment__customer__name")
    )
    policies = customer_policies({r["payment__customer_id"] for r in rows}) if rows else {}
    reps = User.objects.in_bulk({r["rep_id"] for r in rows if r["rep_id"] is not None}) if rows else {}
    lines, totals = [], {}
    for r in rows:
        rate = policies[r["payment__customer_id"]].commission_rate_pct
        line = CommissionLine(
            payment_code=r["payment__code"], paid_on=r["payment__paid_on"], customer_id=r["payment__customer_id"],
            customer_name=r["payment__customer__name"], currency=r["payment__currency"], collected=r["amount"],
            rate_pct=rate, commission=commission_amount(r["amount"], rate), rep_id=r["rep_id"], rep=reps.get(r["rep_id"]),
            customer_visible=r["customer_visible"],
        )
        lines.append(line)
        total = totals.setdefault((line.rep_id, line.currency), RepCommission(rep_id=line.rep_id, currency=line.currency, rep=line.rep))
        total.collected += line.collected
        total.commission += line.commission
        total.lines += 1
    per_rep = sorted(totals.values(), key=lambda t: (-t.commission, t.currency, t.rep_id or 0))
    return per_rep, lines


def totals_by_currency(per_rep: list[RepCommission]) -> list[tuple[str, Decimal, Decimal]]:
    sums = defaultdict(lambda: [ZERO, ZERO])
    for t in per_rep:
        sums[t.currency][0] += t.collected
        sums[t.currency][1] += t.commission
    return [(c, v[0], v[1]) for c, v in sorted(sums.items())]


# --- the page, aggregated in SQL (issue 13) ------------------------------------------------------
#
# The same lines, rates and figures as `commission_report`, without building every line in
# Python. The rate is the SQL form of `customer_policies` (`kehu.sales.policy.
# commission_rate_cases`: conditions on the customer, the first that holds wins, else the company
# default). Each line's commission is computed in integer cents: round half-up of
# collected × rate ÷ 100 per line is (cents × rate in hundredths + 5000) DIV 10000, every amount
# and rate being ≥ 0 (integer division truncates, the same on SQLite and PostgreSQL). The
# per-rep totals are one query: the lines of the period are first summed per customer, currency,
# contract and receivable of the payment (reading only the payments and allocations, through
# covering indexes; per line, for every rate the customers may have — a handful), then each of
# those rows reads its customer, contract and receivable's order once for the rep and the rate
# of the rule, and the rows are summed per rep.


def _prefixed(q, path: str):
    """A Q on Customer re-rooted at `path` (a Q on the model that reaches the customer by `path`)."""
    from django.db.models import Q

    out = Q(*[_prefixed(c, path) if isinstance(c, Q) else (f"{path}__{c[0]}", c[1]) for c in q.children],
            _connector=q.connector, _negated=q.negated)
    return out


def _hundredths(rate) -> int:
    return int(Decimal(rate).scaleb(2))


def _rate_cases():
    """([(Q on Customer, rate × 100)], default × 100), or None without an SQL form of the rate."""
    from kehu.sales.policy import commission_rate_cases

    cases = commission_rate_cases("")
    if cases is None:
        return None
    rules, default = cases
    return [(q, _hundredths(rate)) for q, rate in rules], _hundredths(default)


def _line_commission(rate_h):
    """Per line, in SQL: round half-up (cents × rate_h ÷ 10000) — integer cents."""
    from django.db.models import ExpressionWrapper, Value

    cents = IntegerField()
    product = ExpressionWrapper(F("amount") * (rate_h if hasattr(rate_h, "resolve_expression") else Value(rate_h)), output_field=cents)
    return ExpressionWrapper((product + Value(5000)) / Value(10000), output_field=cents)


def _period_lines(date_from: date, date_to: date):
    return PaymentAllocation.objects.filter(payment__paid_on__gte=date_from, payment__paid_on__lte=date_to)


def _where_on_customers(q) -> tuple[str, list]:
    """The SQL condition of a Q on Customer, on the table "customers_customer" (not aliased)."""
    from django.db import connection

    query = Customer.objects.filter(q).query
    sql, params = query.where.as_sql(query.get_compiler(connection=connection), connection)
    return sql, list(params)


def _rep_totals(*, user, date_from: date, date_to: date, rates) -> list[tuple]:
    """[(rep_id, currency, collected cents, commission cents, lines)] of the lines `user` may see."""
    from django.db import connection
    from django.db.models import Count, Sum

    if not (user and user.is_authenticated and user.is_active):
        return []
    rules, default = rates
    distinct = sorted({default, *(r for _q, r in rules)})
    column = {r: f"k{i}" for i, r in enumerate(distinct)}
    cents = IntegerField()
    inner = (
        _period_lines(date_from, date_to).order_by()
        .values(g_customer=F("payment__customer_id"), g_currency=F("payment__currency"), g_contract=F("payment__contract_id"),
                g_receivable=F("receivable_id"))
        .annotate(g_collected=Sum("amount", output_field=cents), g_lines=Count("pk"),
                  **{column[r]: Sum(_line_commission(r), output_field=cents) for r in distinct})
    )
    inner_sql, inner_params = inner.query.sql_with_params()
    params = []  # in the order of the text: the rate's conditions, the inner query, the scope
    rate_sql = ["CASE"]
    for q, r in rules:
        cond, cond_params = _where_on_customers(q)
        rate_sql.append(f"WHEN {cond} THEN g.{column[r]}")
        params += cond_params
    rate_sql.append(f"ELSE g.{column[default]} END")
    commission_sql = " ".join(rate_sql) if rules else f"g.{column[default]}"
    owner = "customers_customer.owner_id"
    scope, scope_params = "", []
    if not sees_all(user):
        ids = managed_user_ids(user) if user.is_manager else [user.pk]
        scope, scope_params = f"WHERE x.rep IN ({', '.join(['%s'] * len(ids))})", list(ids)
    sql = f"""
SELECT x.rep, x.currency, SUM(x.collected), SUM(x.commission), SUM(x.lines) FROM (
  SELECT CASE WHEN g.g_contract IS NOT NULL THEN COALESCE(k.owner_id, {owner})
              WHEN o.owner_id IS NOT NULL THEN o.owner_id ELSE {owner} END AS rep,
         g.g_currency AS currency, g.g_collected AS collected, g.g_lines AS lines, {commission_sql} AS commission
  FROM ({inner_sql}) g INNER JOIN customers_customer ON customers_customer.id = g.g_customer
  LEFT OUTER JOIN sales_contract k ON k.id = g.g_contract
  LEFT OUTER JOIN finance_receivable r ON r.id = g.g_receivable
  LEFT OUTER JOIN sales_salesorder o ON o.id = r.order_id
) x {scope}
GROUP BY x.rep, x.currency"""
    with read_connection().cursor() as cursor:  # ops: a replica for the report (kehu/core/dbrouter.py)
        cursor.execute(sql, [*params, *inner_params, *scope_params])
        return cursor.fetchall()


def _cents(value) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2).quantize(Decimal("0.01"))


@dataclass
class CommissionPage:
    per_rep: list  # [RepCommission], largest commission first
    totals: list  # [(currency, collected, commission)]
    lines: list  # [CommissionLine] of the page
    total: int  # lines in the period (for the pager)
    has_next: bool


def commission_page(*, user, date_from: date, date_to: date, offset: int = 0, limit: int = 50) -> CommissionPage:
    """The commission page: per-rep totals over every line of the period (`_rep_totals`, one
    query) and `limit` lines from `offset`, newest first (one query), plus the reps' names and the
    rate's policy rows and company settings: five queries whatever the number of lines.
    Falls back to `commission_report` when the rate has no SQL form."""
    from django.db.models import Q, Value

    from kehu.accounts.models import User

    rates = _rate_cases()
    if rates is None:
        per_rep, lines = commission_report(user=user, date_from=date_from, date_to=date_to)
        return CommissionPage(per_rep, totals_by_currency(per_rep), lines[offset:offset + limit], len(lines), len(lines) > offset + limit)
    grouped = _rep_totals(user=user, date_from=date_from, date_to=date_to, rates=rates)
    rules, default = rates
    rate_h = Case(*[When(_prefixed(Q(q), "payment__customer"), then=Value(r)) for q, r in rules], default=Value(default),
                  output_field=IntegerField()) if rules else Value(default, output_field=IntegerField())
    rows = list(
        commission_lines_queryset(user=user, date_from=date_from, date_to=date_to)
        .annotate(rate_h=rate_h).annotate(commission_cents=_line_commission(F("rate_h")))
        .order_by("-payment__paid_on", "-payment_id", "pk")
        .annotate(customer_visible=Exists(Customer.objects.visible_to(user).filter(pk=OuterRef("payment__customer_id"))))
        .values("customer_visible", "rep_id", "amount", "rate_h", "commission_cents", "payment__code", "payment__paid_on",
                "payment__currency", "payment__customer_id", "payment__customer__name")[offset:offset + limit + 1]
    ) if grouped else []
    reps = User.objects.in_bulk({g[0] for g in grouped if g[0] is not None}) if grouped else {}
    per_rep = sorted(
        (RepCommission(rep_id=rep_id, currency=currency, rep=reps.get(rep_id), collected=_cents(c), commission=_cents(k), lines=int(n))
         for rep_id, currency, c, k, n in grouped),
        key=lambda t: (-t.commission, t.currency, t.rep_id or 0),
    )
    lines = [
        CommissionLine(
            payment_code=r["payment__code"], paid_on=r["payment__paid_on"], customer_id=r["payment__customer_id"],
            customer_name=r["payment__customer__name"], currency=r["payment__currency"], collected=r["amount"],
            rate_pct=_cents(r["rate_h"]), commission=_cents(r["commission_cents"]),
            rep_id=r["rep_id"], rep=reps.get(r["rep_id"]), customer_visible=bool(r["customer_visible"]),
        )
        for r in rows[:limit]
    ]
    return CommissionPage(per_rep, totals_by_currency(per_rep), lines, sum(t.lines for t in per_rep), len(rows) > limit)

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

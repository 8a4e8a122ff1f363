"""The anomaly report (DOMAIN.md §7): each rep's month revenue in SQL, the pure rule of
`kehu.reports.anomalies` over it."""

from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from kehu.core.dates import add_months
from kehu.reports.anomalies import DEFAULT_SHARE, HISTORY_MONTHS, Anomaly, anomaly


def _month_key(day: date) -> tuple[int, int]:
    return day.year, day.month


def rep_month_revenue(*, first: date, last: date, rep_ids=None) -> dict[int, dict[tuple[int, int], Decimal]]:
    """{rep id: {(year, month): Σ line revenue}} of the orders each rep owns dated first..last
    (both inclusive), one SQL query over integer cents. An order with no owner counts for
    nobody; only users with the rep role; customers in the recycle bin or merged away are left
    out (the rule of the ranking's facts)."""
    from kehu.accounts.models import User
    from kehu.sales.models import OrderLine

    lines = OrderLine.objects.filter(
        order__order_date__gte=first, order__order_date__lte=last, order__owner__role=User.Role.REP,
        order__customer__is_deleted=False, order__customer__merged_into__isnull=True,
    )
    if rep_ids is not None:
        lines = lines.filter(order__owner_id__in=list(rep_ids))
    rows = (lines.order_by().annotate(y=ExtractYear("order__order_date"), m=ExtractMonth("order__order_date"))
            .values("order__owner_id", "y", "m").annotate(total=Sum("revenue")))
    result: dict[int, dict[tuple[int, int], Decimal]] = {}
    for row in rows:
        result.setdefault(row["order__owner_id"], {})[(row["y"], row["m"])] = Decimal(row["total"] or 0)
    return result


def revenue_anomalies(*, month: date, share: Decimal = DEFAULT_SHARE, user=None) -> list[tuple[object, Anomaly]]:
    """DOMAIN.md §7's revenue anomalies of `month` (any day of it): [(rep, Anomaly)] by
    username, for every user with the rep role (`user` given: only the reps they see)."""
    from kehu.accounts.models import User

    start = month.replace(day=1)
    first = add_months(start, -HISTORY_MONTHS)
    last = add_months(start, 1).replace(day=1)
    last = date.fromordinal(last.toordinal() - 1)
    reps = User.objects.filter(role=User.Role.REP)
    if user is not None:
        from kehu.planning.querysets import planning_user_q

        reps = reps.filter(planning_user_q(user))
    reps = list(reps.order_by("username"))
    revenue = rep_month_revenue(first=first, last=last, rep_ids=[r.pk for r in reps])
    months = [_month_key(add_months(start, -k)) for k in range(HISTORY_MONTHS, 0, -1)]
    alerts = []
    for rep in reps:
        by_month = revenue.get(rep.pk, {})
        found = anomaly(by_month.get(_month_key(start), Decimal(0)), [by_month.get(m, Decimal(0)) for m in months], share)
        if found is not None:
            alerts.append((rep, found))
    return alerts

"""The anomaly report (DOMAIN.md §7): each rep's month revenue in SQL, the pure rule of
`kehu.reports.anomalies` over it."""

from datetime import date
from decimal import Decimal

from kehu.core.dates import add_months
from kehu.reports.anomalies import DEFAULT_SHARE, HISTORY_MONTHS, Anomaly, anomaly


def _month_key(day: date) -> tuple[int, int]:
    return day.year, day.month


def rep_month_revenue(*, first: date, last: date, rep_ids=None) -> dict[int, dict[tuple[int, int], Decimal]]:
    """{rep id: {(year, month): Σ line revenue}} of the orders each rep owns dated first..last
    (both inclusive), exact, over integer cents: whole months from the monthly revenue summary,
    partial months from the lines (`kehu.sales.summaries.revenue_by`). An order with no owner
    counts for nobody; only users with the rep role; customers in the recycle bin or merged
    away are left out (the rule of the ranking's facts)."""
    from kehu.accounts.models import User
    from kehu.sales.summaries import revenue_by

    ids = None if rep_ids is None else list(rep_ids)

    def narrow(qs, prefix):
        qs = qs.filter(**{f"{prefix}owner__role": User.Role.REP})
        return qs if ids is None else qs.filter(**{f"{prefix}owner_id__in": ids})

    result: dict[int, dict[tuple[int, int], Decimal]] = {}
    for row in revenue_by(first=first, last=last, group=("owner_id", "month"), narrow=narrow):
        if row["lines"]:
            result.setdefault(row["owner_id"], {})[_month_key(row["month"])] = row["revenue"]
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

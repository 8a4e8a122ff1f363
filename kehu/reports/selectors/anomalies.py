"""The anomaly report (DOMAIN.md §7): each rep's month revenue and month follow-up counts by kind
in SQL (one GROUP BY each), the pure rules of `kehu.reports.anomalies` over them.

`revenue_anomalies` / `followup_anomalies` answer for every rep (or the reps a user sees): the
command and `kehu daily`. `anomaly_report` answers for a list of reps (the page's filter) with the
seven months behind each alert, for its chart. Three queries whatever the number of reps."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from kehu.core.dates import add_months
from kehu.reports.anomalies import DEFAULT_SHARE, HISTORY_MONTHS, Anomaly, FollowupDrop, anomaly, followup_drop


def _month_key(day: date) -> tuple[int, int]:
    return day.year, day.month


def _bounds(month: date) -> tuple[date, date, date]:
    """(first day of M, first day of the 6 months before, last day of M)."""
    start = month.replace(day=1)
    last = add_months(start, 1).replace(day=1) - timedelta(days=1)
    return start, add_months(start, -HISTORY_MONTHS), last


def month_keys(month: date) -> list[tuple[int, int]]:
    """The 6 months before `month` and `month`, oldest first, as (year, month)."""
    start = month.replace(day=1)
    return [_month_key(add_months(start, -k)) for k in range(HISTORY_MONTHS, -1, -1)]


def _months(first: date, last: date) -> list[tuple[tuple[int, int], date, date]]:
    """((year, month), from, to) of each month first..last touches, clipped to first..last."""
    out = []
    day = first.replace(day=1)
    while day <= last:
        end = add_months(day, 1) - timedelta(days=1)
        out.append((_month_key(day), max(day, first), min(end, last)))
        day = add_months(day, 1)
    return out


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


def rep_month_followups(*, first: date, last: date, rep_ids=None) -> dict[int, dict[tuple[str, tuple[int, int]], int]]:
    """{rep id: {(kind, (year, month)): count}} of the follow-ups each rep logged first..last
    (both inclusive, days and months in the company's time zone). A logged follow-up is Kehu's
    one definition (kehu.activities.models.Activity): status done with its time `at` set — a
    planned follow-up closed by a log is not counted twice; its owner is the rep, whatever later
    became of the customer (recycle bin, merge: docs/rules.md "### The follow-up summary"). Only
    users with the rep role. Read by `kehu.activities.summaries.followup_counts`: whole months
    from the follow-up summary, a partial month at an edge from the rows — at most two queries,
    the same numbers as counting the rows. Months without one are absent."""
    from kehu.accounts.models import User
    from kehu.activities.summaries import followup_counts

    owners = User.objects.filter(role=User.Role.REP)
    if rep_ids is not None:
        owners = owners.filter(pk__in=list(rep_ids))
    owners = owners.values("pk")  # a subquery, not a query
    result: dict[int, dict[tuple[str, tuple[int, int]], int]] = {}
    for (owner_id, kind, month), n in followup_counts(date_from=first, date_to=last, owner_ids=owners, by=("owner", "kind", "month")).items():
        result.setdefault(owner_id, {})[(kind, _month_key(month))] = n
    return result


def _reps(user):
    from kehu.accounts.models import User

    reps = User.objects.filter(role=User.Role.REP)
    if user is not None:
        from kehu.planning.querysets import planning_user_q

        reps = reps.filter(planning_user_q(user))
    return list(reps.select_related("team").order_by("username"))


@dataclass
class RevenueAlert:
    rep: object
    anomaly: Anomaly
    months: list = field(default_factory=list)  # [((year, month), revenue)] the 6 before and M


@dataclass
class FollowupAlert:
    rep: object
    kind: str
    drop: FollowupDrop
    months: list = field(default_factory=list)  # [((year, month), count)] the 6 before and M

    @property
    def kind_label(self) -> str:
        from kehu.activities.models import Activity

        return str(dict(Activity.Kind.choices).get(self.kind, self.kind))

    @property
    def usual(self) -> str:
        """The median as read: 8, 7.5."""
        m = self.drop.median
        return str(int(m)) if m == m.to_integral_value() else str(m)


def revenue_alerts(*, month: date, share: Decimal = DEFAULT_SHARE, reps) -> list[RevenueAlert]:
    """The revenue anomalies of `month` among `reps` (in their order), with their seven months."""
    start, first, last = _bounds(month)
    keys = month_keys(start)
    revenue = rep_month_revenue(first=first, last=last, rep_ids=[r.pk for r in reps])
    alerts = []
    for rep in reps:
        by_month = revenue.get(rep.pk, {})
        found = anomaly(by_month.get(keys[-1], Decimal(0)), [by_month.get(m, Decimal(0)) for m in keys[:-1]], share)
        if found is not None:
            alerts.append(RevenueAlert(rep=rep, anomaly=found, months=[(m, by_month.get(m, Decimal(0))) for m in keys]))
    return alerts


def followup_alerts(*, month: date, share: Decimal = DEFAULT_SHARE, reps) -> list[FollowupAlert]:
    """The follow-up drops of `month` among `reps` (in their order; kinds in Activity.Kind's
    order), with their seven months."""
    from kehu.activities.models import Activity

    start, first, last = _bounds(month)
    keys = month_keys(start)
    counts = rep_month_followups(first=first, last=last, rep_ids=[r.pk for r in reps])
    alerts = []
    for rep in reps:
        by_key = counts.get(rep.pk, {})
        for kind in Activity.Kind.values:
            series = [by_key.get((kind, m), 0) for m in keys]
            found = followup_drop(series[-1], series[:-1], share)
            if found is not None:
                alerts.append(FollowupAlert(rep=rep, kind=kind, drop=found, months=list(zip(keys, series))))
    return alerts


def revenue_anomalies(*, month: date, share: Decimal = DEFAULT_SHARE, user=None) -> list[tuple[object, Anomaly]]:
    """DOMAIN.md §7's revenue anomalies of `month` (any day of it): [(rep, Anomaly)] by
    username, for every user with the rep role (`user` given: only the reps they see)."""
    return [(a.rep, a.anomaly) for a in revenue_alerts(month=month, share=share, reps=_reps(user))]


def followup_anomalies(*, month: date, share: Decimal = DEFAULT_SHARE, user=None) -> list[tuple[object, str, FollowupDrop]]:
    """DOMAIN.md §7's follow-up drops of one kind in `month`: [(rep, kind, FollowupDrop)] by
    username then kind, for every user with the rep role (`user` given: only the reps they see)."""
    return [(a.rep, a.kind, a.drop) for a in followup_alerts(month=month, share=share, reps=_reps(user))]

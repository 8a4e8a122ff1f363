"""Reads of targets: a scope's target for any period (DOMAIN.md §7's breakdown), for one rep,
team or the company, or for many reps at once (one query). Visibility: callers pass only
users and teams they took from `kehu.planning.querysets` (pages) or run as the system
(commands)."""

from decimal import Decimal

from kehu.core.money import CENT
from kehu.planning.breakdown import breakdown, period_share
from kehu.planning.models import Measure, Target
from kehu.planning.periods import Period

LISTED = ("year", "half", "quarter", "month", "week")


def target_of(*, scope: str, year: int, measure: str = Measure.WON, team=None, user=None) -> Target | None:
    qs = Target.objects.filter(scope=scope, year=year, measure=measure)
    if scope == Target.Scope.TEAM:
        qs = qs.filter(team=team)
    elif scope == Target.Scope.USER:
        qs = qs.filter(user=user)
    return qs.first()


def target_period_amount(target: Target, period: Period) -> Decimal:
    """The part of one annual `target` that falls in `period`: a listed half, quarter, month or
    week of its year as the breakdown lists it (rounded amounts that sum to the year); a
    week that spans two years its days in this year; any other span of days (a custom range)
    its exact daily shares rounded once (`period_share`). Zero outside the year."""
    year = target.year
    if period.end.year < year or period.start.year > year:
        return Decimal("0.00")
    if period.kind == "year":
        return target.amount if period.start.year == year else Decimal("0.00")
    if period.kind in ("half", "quarter", "month"):
        rows = breakdown(year, target.amount, target.weights, weeks=False)
        for p, amount in (*rows.halves, *rows.quarters, *rows.months):
            if p == period:
                return amount
    if period.kind == "week":
        rows = breakdown(year, target.amount, target.weights)
        for p, amount in rows.weeks:
            if p == period:
                return amount
        return Decimal("0.00")
    return period_share(year, target.amount, target.weights, period)


def target_amount(*, scope: str, period: Period, measure: str = Measure.WON, team=None, user=None) -> Decimal | None:
    """The target of a rep, a team or the company for `period` (summed over the years it
    touches); None when none of those years has a target."""
    total, found = Decimal("0.00"), False
    for year in range(period.start.year, period.end.year + 1):
        target = target_of(scope=scope, year=year, measure=measure, team=team, user=user)
        if target is not None:
            found = True
            total += target_period_amount(target, period)
    return total.quantize(CENT) if found else None


def user_target_amounts(*, user_ids, period: Period, measure: str = Measure.WON) -> dict[int, Decimal]:
    """{user id: target for `period`} for the reps among `user_ids` that have one (one query per
    year the period touches; the breakdown computed in Python per rep)."""
    result: dict[int, Decimal] = {}
    years = range(period.start.year, period.end.year + 1)
    targets = Target.objects.filter(scope=Target.Scope.USER, user_id__in=list(user_ids), year__in=list(years), measure=measure)
    for target in targets:
        result[target.user_id] = result.get(target.user_id, Decimal("0.00")) + target_period_amount(target, period)
    return result

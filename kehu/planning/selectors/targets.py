"""Reads of targets: a scope's target for any period (DOMAIN.md §7's breakdown), for one rep,
team or the company, or for many reps at once (one query). Visibility: callers pass only
users and teams they took from `kehu.planning.querysets` (pages) or run as the system
(commands)."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import pgettext

from kehu.core.money import CENT, from_minor, quantize_cents
from kehu.planning.breakdown import breakdown, month_cents, period_share
from kehu.planning.models import Measure, Target
from kehu.planning.periods import Period
from kehu.planning.querysets import planning_users, sees_company, targets_visible_to, visible_teams

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
    if period.kind in ("half", "quarter", "month") and period.start.year == year:
        # The months' cents of the breakdown (integer, cached), summed over the period's months.
        cents = month_cents(target.amount, target.weights)
        return from_minor(sum(cents[period.start.month - 1:period.end.month]))
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


# --- actuals: won amounts and collections, attributed to reps -------------------------------

def _won_by_month(*, opportunities, year: int) -> dict[int, Decimal]:
    """{month: won amount} of `opportunities` won with closed_on in `year` (§7's "won", through
    the one weighted pipeline function)."""
    from django.db.models.functions import ExtractMonth

    from kehu.sales.selectors import weighted_pipeline_by

    sums = weighted_pipeline_by(opportunities=opportunities.annotate(won_month=ExtractMonth("closed_on")), group="won_month",
                                date_from=date(year, 1, 1), date_to=date(year, 12, 31))
    return {month: row.won for month, row in sums.items() if month is not None}


def collection_lines(*, date_from, date_to):
    """The payment allocations dated in the period, each annotated with `rep_id` exactly as
    finance credits a collection to a rep (kehu.finance.commission: the contract's owner, else
    the order's owner, else the customer's owner). On-account money counts once applied."""
    from kehu.finance.commission import _rep_expression as rep_expression  # the one attribution rule
    from kehu.finance.models import PaymentAllocation

    return PaymentAllocation.objects.filter(payment__paid_on__gte=date_from, payment__paid_on__lte=date_to).annotate(rep_id=rep_expression())


def _collected_by_month(*, year: int, user_ids=None) -> dict[int, Decimal]:
    from django.db.models import Sum
    from django.db.models.functions import ExtractMonth

    qs = collection_lines(date_from=date(year, 1, 1), date_to=date(year, 12, 31))
    if user_ids is not None:
        qs = qs.filter(rep_id__in=list(user_ids))
    rows = qs.order_by().annotate(paid_month=ExtractMonth("payment__paid_on")).values("paid_month").annotate(total=Sum("amount"))
    return {row["paid_month"]: Decimal(row["total"] or 0).quantize(CENT) for row in rows}


def last_year_weights(*, year: int, measure: str = Measure.WON, user_ids=None) -> list[Decimal]:
    """Twelve monthly weights for `year` = the monthly won amounts (opportunities won, by
    closed_on) or collections (payments by paid_on, credited as finance does) of `year` − 1 of
    the reps `user_ids` (None: everyone). All zero → even (twelve 1s)."""
    from kehu.sales.models import Opportunity

    if measure == Measure.COLLECTIONS:
        by_month = _collected_by_month(year=year - 1, user_ids=user_ids)
    else:
        opportunities = Opportunity.objects.all()
        if user_ids is not None:
            opportunities = opportunities.filter(owner_id__in=list(user_ids))
        by_month = _won_by_month(opportunities=opportunities, year=year - 1)
    weights = [by_month.get(m, Decimal("0.00")) for m in range(1, 13)]
    if not any(weights):
        return [Decimal(1)] * 12
    return weights


# --- the grid: reps × months, teams and the company beside the sum of their members ----------

def _months_of(target: Target | None) -> list[Decimal] | None:
    """The twelve month amounts of §7's breakdown (`breakdown(...).months`' amounts, from the same
    cached integer month cents, without building the year's half, quarter and month periods)."""
    if target is None:
        return None
    return [from_minor(c) for c in month_cents(target.amount, target.weights)]


def _add(a: list[Decimal] | None, b: list[Decimal] | None) -> list[Decimal] | None:
    if b is None:
        return a
    if a is None:
        return list(b)
    return [x + y for x, y in zip(a, b)]


def target_grid(*, user, year: int, measure: str = Measure.WON) -> dict:
    """The targets page's grid: {"company": row | None, "teams": [row], "reps": [row]}; a row is
    {"scope", "team", "user", "target", "months" (12 amounts or None), "members_total",
    "members_months", "editable"}. Reps are those `user` sees; three queries whatever their
    number."""
    from kehu.planning.permissions import can_set_target

    reps = list(planning_users(user))
    teams = list(visible_teams(user).order_by("name"))
    targets = list(targets_visible_to(user).filter(year=year, measure=measure))
    by_user = {t.user_id: t for t in targets if t.scope == Target.Scope.USER}
    by_team = {t.team_id: t for t in targets if t.scope == Target.Scope.TEAM}
    company = next((t for t in targets if t.scope == Target.Scope.COMPANY), None)

    rep_rows = []
    for rep in reps:
        target = by_user.get(rep.pk)
        rep_rows.append({"scope": Target.Scope.USER, "team": rep.team, "user": rep, "target": target, "months": _months_of(target),
                         "editable": can_set_target(user, scope=Target.Scope.USER, rep=rep), "key": f"user-{rep.pk}"})
    team_rows = []
    members_shown = user.is_manager or sees_company(user)  # a rep sees their team's own target, not their teammates'
    for team in teams:
        members = [r for r in rep_rows if r["user"].team_id == team.pk]
        members_months = None
        for r in members:
            members_months = _add(members_months, r["months"])
        target = by_team.get(team.pk)
        team_rows.append({"scope": Target.Scope.TEAM, "team": team, "user": None, "target": target, "months": _months_of(target),
                          "members_months": members_months if members_shown else None,
                          "members_total": sum(members_months) if members_months and members_shown else None,
                          "editable": can_set_target(user, scope=Target.Scope.TEAM, team=team), "key": f"team-{team.pk}"})
    company_row = None
    if sees_company(user):
        members_months = None
        for r in rep_rows:
            members_months = _add(members_months, r["months"])
        company_row = {"scope": Target.Scope.COMPANY, "team": None, "user": None, "target": company, "months": _months_of(company),
                       "members_months": members_months, "members_total": sum(members_months) if members_months else None,
                       "editable": can_set_target(user, scope=Target.Scope.COMPANY), "key": "company"}
    return {"company": company_row, "teams": team_rows, "reps": rep_rows}


def targets_export_rows(*, user, measure: str | None = None):
    """(targets.csv cells [scope, who, year, amount, m1 … m12], measure) of the targets `user`
    sees (None: the system, every target), `measure` only when given. A manager's export holds
    only what they may import back (`can_set_target`): their reps' targets — not their teams'
    own, not their own, not a non-rep member's."""
    qs = Target.objects.all() if user is None else targets_visible_to(user)
    if user is not None and user.is_manager and not sees_company(user):
        from kehu.accounts.models import User

        qs = qs.filter(scope=Target.Scope.USER, user__role=User.Role.REP).exclude(user_id=user.pk)
    qs = qs.select_related("team", "user").order_by("year", "measure", "scope", "team__name", "user__username", "id")
    if measure is not None:
        qs = qs.filter(measure=measure)
    for t in qs:
        who = t.team.name if t.scope == Target.Scope.TEAM else (t.user.username if t.scope == Target.Scope.USER else "")
        weights = list(t.weights or [])
        weights += [""] * (12 - len(weights))
        yield [t.scope, who, str(t.year), str(t.amount), *weights[:12]], t.measure


# --- attainment -----------------------------------------------------------------------------


@dataclass
class Attainment:
    label: str
    target: Decimal | None
    actual: Decimal
    days: int
    days_gone: int
    members_target: Decimal | None = None
    user: object = None
    team: object = None

    @property
    def attained(self) -> Decimal | None:
        """actual ÷ target (a ratio, 4 decimals half-up); None without a positive target."""
        if not self.target:
            return None
        return _ratio(self.actual, self.target)

    @property
    def gone(self) -> Decimal:
        return _ratio(Decimal(self.days_gone), Decimal(self.days))

    @property
    def projection(self) -> Decimal | None:
        """Run rate to the period's end: actual ÷ days gone × days (None before it starts)."""
        if self.days_gone == 0:
            return None
        return quantize_cents(self.actual * self.days / self.days_gone)

    @property
    def projected_attained(self) -> Decimal | None:
        projection = self.projection
        if projection is None or not self.target:
            return None
        return _ratio(projection, self.target)

    @property
    def bar_width(self) -> int:
        """The progress bar's width in % (0–100)."""
        value = self.attained
        return 0 if value is None else max(0, min(100, int(value * 100)))

    @property
    def gone_width(self) -> int:
        return max(0, min(100, int(self.gone * 100)))


def _ratio(a: Decimal, b: Decimal) -> Decimal:
    return (Decimal(a) / Decimal(b)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _actuals(*, user, period: Period, measure: str, rep_ids=None, group: bool) -> dict | Decimal:
    """Won amounts (weighted_pipeline.won) or collections of the period, of the opportunities /
    allocations owned by `rep_ids` (None: the company's); per owner when `group`."""
    from django.db.models import Sum

    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipeline, weighted_pipeline_by

    if measure == Measure.COLLECTIONS:
        qs = collection_lines(date_from=period.start, date_to=period.end)
        if rep_ids is not None:
            qs = qs.filter(rep_id__in=list(rep_ids))
        if group:
            return {r["rep_id"]: Decimal(r["total"] or 0).quantize(CENT) for r in qs.order_by().values("rep_id").annotate(total=Sum("amount"))}
        return Decimal(qs.order_by().aggregate(total=Sum("amount"))["total"] or 0).quantize(CENT)
    # The deals the scope's people own (the scope itself is checked by the caller): a handover
    # moves only open deals, so a rep's won deals stay theirs whoever owns the customer now —
    # the same basis as the roll-up, the review, accuracy and `kehu pipeline`.
    opportunities = Opportunity.objects.all()
    if rep_ids is not None:
        opportunities = opportunities.filter(owner_id__in=list(rep_ids))
    if group:
        return {k: v.won for k, v in weighted_pipeline_by(opportunities=opportunities, group="owner_id", date_from=period.start, date_to=period.end).items()}
    return weighted_pipeline(opportunities=opportunities, date_from=period.start, date_to=period.end).won


def _scope_checked(*, user, scope: str, team=None, rep=None, teams=None, reps=None):
    """404 unless `user` sees the scope (kehu.planning.querysets). `teams` / `reps`: the lists
    `visible_teams(user)` / `planning_users(user)` already read (checked in them, no query)."""
    from django.http import Http404

    if scope == Target.Scope.COMPANY:
        if not sees_company(user):
            raise Http404
    elif scope == Target.Scope.TEAM:
        if team is None or (user.is_rep and not user.is_manager):
            raise Http404
        if not (team.pk in {t.pk for t in teams} if teams is not None else visible_teams(user).filter(pk=team.pk).exists()):
            raise Http404
    elif scope == Target.Scope.USER:
        if rep is None:
            raise Http404
        if not (rep.pk in {r.pk for r in reps} if reps is not None else planning_users(user).filter(pk=rep.pk).exists()):
            raise Http404
    else:
        raise Http404


def attainment(*, user, scope: str, period: Period, measure: str = Measure.WON, team=None, rep=None, today: date,
               checked: bool = False) -> Attainment:
    """Target, actual, % attained, days gone vs % gone and the run-rate projection of the
    company, a team or a rep for `period` (404 unless `user` sees that scope; `checked`: the
    caller has just checked it)."""
    if not checked:
        _scope_checked(user=user, scope=scope, team=team, rep=rep)
    if scope == Target.Scope.COMPANY:
        rep_ids, label = None, str(_company_label())
    elif scope == Target.Scope.TEAM:
        rep_ids, label = list(team.members.values_list("pk", flat=True)), team.name
    else:
        rep_ids, label = [rep.pk], str(rep)
    target = target_amount(scope=scope, period=period, measure=measure, team=team, user=rep)
    actual = _actuals(user=user, period=period, measure=measure, rep_ids=rep_ids, group=False)
    return Attainment(label=label, target=target, actual=actual, days=period.days, days_gone=period.days_gone(today), user=rep, team=team)


def _company_label():
    return pgettext("targets", "Company")


def attainment_table(*, user, scope: str, period: Period, measure: str = Measure.WON, team=None, rep=None, today: date,
                     teams=None, reps=None) -> dict:
    """The attainment page: {"total": Attainment of the scope (its own target; Σ of its reps'
    targets as `members_target`), "reps": [Attainment per rep], "members_actual"} for the
    company, a team or one rep (404 unless `user` sees the scope). A fixed number of queries
    whatever the number of reps. `teams` / `reps`: the lists `visible_teams(user)` and
    `planning_users(user)` (by username) already read by the caller (three queries fewer)."""
    _scope_checked(user=user, scope=scope, team=team, rep=rep, teams=teams, reps=reps)
    if reps is None:
        reps = planning_users(user)
        if scope == Target.Scope.TEAM:
            reps = reps.filter(team=team)
        elif scope == Target.Scope.USER:
            reps = reps.filter(pk=rep.pk)
        reps = list(reps)
    elif scope == Target.Scope.TEAM:
        reps = [r for r in reps if r.team_id == team.pk]
    elif scope == Target.Scope.USER:
        reps = [r for r in reps if r.pk == rep.pk]
    rep_ids = [r.pk for r in reps]
    targets = user_target_amounts(user_ids=rep_ids, period=period, measure=measure)
    actuals = _actuals(user=user, period=period, measure=measure, rep_ids=rep_ids, group=True)
    days, gone = period.days, period.days_gone(today)
    rows = [Attainment(label=str(r), target=targets.get(r.pk), actual=actuals.get(r.pk, Decimal("0.00")), days=days, days_gone=gone, user=r)
            for r in reps]
    if scope == Target.Scope.USER:
        total = rows[0] if rows else attainment(user=user, scope=scope, period=period, measure=measure, rep=rep, today=today, checked=True)
    else:
        total = attainment(user=user, scope=scope, period=period, measure=measure, team=team, today=today, checked=True)
        total.members_target = sum(targets.values(), Decimal("0.00")) if targets else None
    return {"total": total, "reps": rows, "members_actual": sum((r.actual for r in rows), Decimal("0.00"))}

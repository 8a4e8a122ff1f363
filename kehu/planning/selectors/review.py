"""Reads of the roll-up and the Friday review (issue 11, DOMAIN.md §7).

- `rollup`: per visible rep, the latest commit and best case for a period (submitted on,
  carried, missing), the manager's effective adjustment beside it, won, target and weighted
  pipeline; team subtotals and the company total, with and without adjustments.
- `friday_review`: the scope's (company / a team / a manager's teams) target, won, commit,
  best case, weighted pipeline, gap and coverage, the per-rep rows, the waterfall of the open
  amount expected in the period since a day, and the slipping deals.

Both run a FIXED number of queries whatever the number of reps (pinned in tests). Visibility:
reps come from `kehu.planning.querysets.planning_users`, opportunities from
`Opportunity.objects.visible_to(user)`; a team outside `visible_teams(user)` is 404.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.utils import timezone

from kehu.core.money import quantize_cents
from kehu.core.views import get_visible_or_404
from kehu.planning.models import ForecastAdjustment, ForecastSubmission, Measure, Target
from kehu.planning.periods import Period
from kehu.planning.querysets import planning_users, sees_company, visible_teams
from kehu.planning.selectors.forecasts import latest_submissions, this_week
from kehu.planning.selectors.targets import target_period_amount, user_target_amounts

ZERO = Decimal("0.00")


# --- the latest submission of each rep ----------------------------------------------------------

def _root_id(submission: ForecastSubmission) -> int:
    return submission.carried_from_id or submission.pk


def _effective_adjustments(latest: dict[int, ForecastSubmission]) -> dict[int, ForecastAdjustment]:
    """{user id: the adjustment that counts} (ONE query). An adjustment counts when it was made
    on the rep's latest submission for the period, or on the submission the latest was carried
    from (or on another carried copy of it): the same number, carried forward. The latest
    adjustment (created_at, id) of those counts; one on an older, replaced submission does not."""
    roots = {_root_id(s): user_id for user_id, s in latest.items()}
    if not roots:
        return {}
    rows = (ForecastAdjustment.objects
            .filter(Q(submission_id__in=list(roots)) | Q(submission__carried_from_id__in=list(roots)))
            .select_related("created_by", "submission").order_by("-created_at", "-id"))
    result: dict[int, ForecastAdjustment] = {}
    for adjustment in rows:
        root = adjustment.submission.carried_from_id or adjustment.submission_id
        user_id = roots.get(root)
        if user_id is None or user_id in result:
            continue
        latest_one = latest[user_id]
        # Never an adjustment of a copy carried after the latest (there is none: it would be the latest).
        if adjustment.submission_id == latest_one.pk or adjustment.submission.submitted_on <= latest_one.submitted_on:
            result[user_id] = adjustment
    return result


# --- the roll-up --------------------------------------------------------------------------------

@dataclass
class RepRow:
    user: object
    team: object
    submission: ForecastSubmission | None = None
    adjustment: ForecastAdjustment | None = None
    won: Decimal = ZERO
    open_weighted: Decimal = ZERO
    open_amount: Decimal = ZERO
    target: Decimal | None = None
    is_this_week: bool = False
    can_adjust: bool = False

    @property
    def is_missing(self) -> bool:
        return self.submission is None

    @property
    def is_carried(self) -> bool:
        return self.submission is not None and self.submission.is_carried

    @property
    def submitted_on(self) -> date | None:
        return self.submission.submitted_on if self.submission else None

    @property
    def carried_from_on(self) -> date | None:
        s = self.submission
        return s.carried_from.submitted_on if s is not None and s.carried_from_id and s.carried_from else None

    @property
    def commit(self) -> Decimal:
        return self.submission.commit if self.submission else ZERO

    @property
    def best_case(self) -> Decimal:
        if self.submission is None:
            return ZERO
        return self.submission.best_case if self.submission.best_case is not None else self.submission.commit

    @property
    def adjusted_commit(self) -> Decimal:
        return self.adjustment.commit if self.adjustment else self.commit

    @property
    def adjusted_best_case(self) -> Decimal:
        if self.adjustment and self.adjustment.best_case is not None:
            return self.adjustment.best_case
        return self.best_case

    @property
    def weighted(self) -> Decimal:
        """The weighted pipeline of §7: open weighted plus won."""
        return self.open_weighted + self.won


@dataclass
class Totals:
    label: str = ""
    team: object = None
    reps: int = 0
    missing: int = 0
    adjusted: int = 0
    commit: Decimal = ZERO
    adjusted_commit: Decimal = ZERO
    best_case: Decimal = ZERO
    adjusted_best_case: Decimal = ZERO
    won: Decimal = ZERO
    open_weighted: Decimal = ZERO
    open_amount: Decimal = ZERO
    target: Decimal | None = None
    rows: list = field(default_factory=list)

    @property
    def weighted(self) -> Decimal:
        return self.open_weighted + self.won

    def add(self, row: RepRow) -> None:
        self.rows.append(row)
        self.reps += 1
        self.missing += row.is_missing
        self.adjusted += row.adjustment is not None
        self.commit += row.commit
        self.adjusted_commit += row.adjusted_commit
        self.best_case += row.best_case
        self.adjusted_best_case += row.adjusted_best_case
        self.won += row.won
        self.open_weighted += row.open_weighted
        self.open_amount += row.open_amount
        if row.target is not None:
            self.target = (self.target or ZERO) + row.target


@dataclass
class Rollup:
    period: Period
    team: object
    rows: list[RepRow]
    teams: list[Totals]
    total: Totals


def resolve_team(*, user, team_id):
    """The team asked for (`?team=`), if `user` sees it (else 404); None for no team."""
    if team_id in (None, ""):
        return None
    return get_visible_or_404(visible_teams(user), pk=team_id)


def rollup(*, user, period: Period, team=None, today: date, reps=None, pipeline: bool = True, sums=None,
           latest=None, adjustments=None, targets=None, week=True) -> Rollup:
    """Each rep `user` sees (of `team` when given: a team from `resolve_team`), with their
    latest commit and best case for `period`, the effective adjustment beside it, won in the
    period, target and weighted pipeline; team subtotals and the total. Six queries.
    `reps`: the list `planning_users(user)` (of `team`) already read, for a caller rolling up
    several periods (one query fewer each). `pipeline=False`: without each rep's won and
    weighted pipeline (left at zero; one query fewer) — for a caller that shows only the
    commits and targets and reads won and pipeline for its whole scope itself (the workbench).
    `sums` ({owner id: PipelineSums}), `latest`, `adjustments` and `targets` ({user id: …} as read
    below): already read by the caller (the Friday review reads sums and targets with its scope's;
    the workbench reads latest, adjustments and targets for its two periods in one query each).
    `week`: True reads this week's (first day, cut-off); a (first day, cut-off) already read is
    used as given; False: no "submitted this week" (a query fewer; the review does not show it)."""
    from kehu.planning.permissions import can_adjust_forecast
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipeline_by

    if reps is None:
        reps = planning_users(user)
        if team is not None:
            reps = reps.filter(team=team)
        reps = list(reps)
    ids = [r.pk for r in reps]
    if latest is None:
        latest = latest_submissions(user_ids=ids, period=period) if ids else {}
    if adjustments is None:
        adjustments = _effective_adjustments(latest)
    # A rep's numbers are the deals they own (a handover moves only open deals: the won ones stay
    # the rep's even when the customer now belongs to somebody the reader does not see), the
    # basis of accuracy and `kehu pipeline` too. Only sums are shown, of reps the reader sees.
    if sums is None:
        sums = weighted_pipeline_by(opportunities=Opportunity.objects.filter(owner_id__in=ids), group="owner_id",
                                    date_from=period.start, date_to=period.end) if ids and pipeline else {}
    if targets is None:
        targets = user_target_amounts(user_ids=ids, period=period, measure=Measure.WON) if ids else {}
    if week is True:
        week_start, week_end = this_week(today=today)
    elif week:
        week_start, week_end = week
    else:
        week_start, week_end = None, None

    rows, by_team = [], {}
    total = Totals()
    for rep in reps:
        submission = latest.get(rep.pk)
        pipeline = sums.get(rep.pk)
        row = RepRow(
            user=rep, team=rep.team, submission=submission, adjustment=adjustments.get(rep.pk),
            won=pipeline.won if pipeline else ZERO, open_weighted=pipeline.open_weighted if pipeline else ZERO,
            open_amount=pipeline.open_amount if pipeline else ZERO, target=targets.get(rep.pk),
            is_this_week=bool(week and submission and week_start <= submission.submitted_on <= week_end),
            can_adjust=submission is not None and can_adjust_forecast(user, rep),
        )
        rows.append(row)
        key = rep.team_id or 0
        if key not in by_team:
            by_team[key] = Totals(label=rep.team.name if rep.team else "", team=rep.team)
        by_team[key].add(row)
        total.add(row)
    teams = sorted(by_team.values(), key=lambda t: (t.team is None, t.label))
    return Rollup(period=period, team=team, rows=rows, teams=teams, total=total)


# --- the Friday review --------------------------------------------------------------------------

def can_view_review(user) -> bool:
    """The Friday review: the director (admin) and finance (the company), managers (their teams)."""
    return bool(user and user.is_authenticated and user.is_active and (sees_company(user) or user.is_manager))


@dataclass
class Bar:
    key: str
    amount: Decimal = ZERO
    count: int = 0


@dataclass
class Waterfall:
    since: date
    start: Decimal
    bars: list[Bar]
    end: Decimal
    start_count: int = 0
    end_count: int = 0

    def as_json(self) -> dict:
        return {"start": str(self.start), "end": str(self.end),
                "bars": [{"key": b.key, "amount": str(b.amount), "count": b.count} for b in self.bars]}


SLIPPING_SHOWN = 50
# The waterfall looks back at most a year (`since`): further back it would read every change.
MAX_SINCE_DAYS = 366
WATERFALL_KEYS = ("new", "pulled_in", "pushed_out", "amount_up", "amount_down", "won", "lost")


def _amount(value) -> Decimal | None:
    try:
        return quantize_cents(Decimal(str(value)))
    except (ArithmeticError, ValueError, TypeError):
        return None


def _day(value) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _moment(day: date) -> datetime:
    """The start of `day` in the company's time zone: the state 'at since' is before any change
    made on that day."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _changed_since(moment: datetime):
    """The audited page changes of deals (stage, amount, expected close, creation) since `moment`.
    An import writes the deals as the file says (its events date from the import, not from the
    deals' history): it is taken as the state at since, not as a change. All the changes since
    (not only the scope's: joining the scope costs more than reading the others' events, which
    are skipped)."""
    from kehu.core.models import AuditEvent

    return (AuditEvent.objects.filter(object_type="opportunity", at__gte=moment)
            .exclude(verb=AuditEvent.Verb.IMPORT)
            .filter(Q(verb=AuditEvent.Verb.CREATE) | Q(changes__has_key="stage") | Q(changes__has_key="amount")
                    | Q(changes__has_key="expected_close_on")))


def _in_period_now(period: Period) -> Q:
    return Q(stage__is_closed=False, expected_close_on__gte=period.start, expected_close_on__lte=period.end)


def _steady_q(period: Period, moment: datetime) -> Q:
    """The deals in P now that did not change since and existed before it: in P at both ends
    with the same amount."""
    return _in_period_now(period) & ~(Q(pk__in=_changed_since(moment).values("object_id")) | Q(created_at__gte=moment))


def waterfall(*, opportunities, period: Period, since: date, steady: tuple | None = None) -> Waterfall:
    """What happened to the open amount expected to close in `period` from the start of `since`
    to now, for `opportunities` (a scoped queryset; a deal counts for its current owner).

    The state at `since` is the current row with the audited changes made since reverted
    (AuditEvent "opportunity": stage id, amount, expected_close_on; imports are not changes);
    a deal created since did not exist. Each deal in the period at either end falls in one place:
    - not in P at since, in P now: NEW when created since, else PULLED IN (moved in from a
      later or an earlier date or no date, or reopened) at its amount now;
    - in P at both ends: AMOUNT UP / AMOUNT DOWN by the difference;
    - in P at since, not now: its amount change first (up / down), then WON, LOST (closed) or
      PUSHED OUT (still open, moved out of P) at its amount now.
    So start + Σ bars = end exactly. Four queries; three with `steady` (the count and the
    amount, in cents, of the `_steady_q` deals of `opportunities`, read by the caller)."""
    from kehu.core.models import AuditEvent
    from kehu.sales.models import OpportunityStage

    moment = _moment(since)
    stages = {pk: (closed, won) for pk, closed, won in OpportunityStage.objects.values_list("pk", "is_closed", "is_won")}
    scoped = opportunities.order_by()
    changed = _changed_since(moment)
    # Reverting reads the imports too: a field an import set since is the state at since
    # (older page changes to it are not undone past the import).
    events = list(AuditEvent.objects.filter(object_type="opportunity", at__gte=moment)
                  .filter(Q(verb__in=(AuditEvent.Verb.CREATE, AuditEvent.Verb.IMPORT)) | Q(changes__has_key="stage")
                          | Q(changes__has_key="amount") | Q(changes__has_key="expected_close_on"))
                  .order_by("-at", "-id").values_list("object_id", "verb", "changes"))
    in_period_now = _in_period_now(period)
    # The deals in P now that did not change since and existed before it are in P at both ends
    # with the same amount: summed in SQL. Only the others are read one by one.
    touched = Q(pk__in=changed.values("object_id"))
    if steady is None:
        steady = scoped.filter(in_period_now).exclude(touched | Q(created_at__gte=moment)).aggregate(n=Count("pk"), total=Sum("amount"))
    else:
        steady = {"n": steady[0], "total": Decimal(steady[1]) / 100}
    rows = scoped.filter(touched | (in_period_now & Q(created_at__gte=moment)))
    current = {pk: {"stage": stage_id, "amount": amount, "close": close, "created_at": created_at}
               for pk, stage_id, amount, close, created_at
               in rows.values_list("pk", "stage_id", "amount", "expected_close_on", "created_at")}
    before = {pk: dict(state, exists=state["created_at"] < moment) for pk, state in current.items()}
    frozen: dict[int, set] = {}  # per deal, the fields an import set since: not undone further
    for object_id, verb, changes in events:  # newest first: undo each change
        state = before.get(object_id)
        if state is None:
            continue
        changes = changes if isinstance(changes, dict) else {}
        if verb == AuditEvent.Verb.IMPORT:
            names = {"stage" if k == "stage_id" else k for k in changes} or {"stage", "amount", "expected_close_on"}
            frozen.setdefault(object_id, set()).update(names)
            continue
        if verb == AuditEvent.Verb.CREATE:
            state["exists"] = False
        for name, key, parse in (("stage", "stage", lambda v: v), ("amount", "amount", _amount), ("expected_close_on", "close", _day)):
            pair = changes.get(name)
            if isinstance(pair, list) and len(pair) == 2 and name not in frozen.get(object_id, ()):
                state[key] = parse(pair[0]) if pair[0] is not None else None

    def in_period(state) -> bool:
        stage = stages.get(state["stage"])
        return (stage is not None and not stage[0] and state["close"] is not None and period.contains(state["close"])
                and state["amount"] is not None)

    bars = {key: Bar(key) for key in WATERFALL_KEYS}
    start = end = quantize_cents(steady["total"] or 0)
    start_count = end_count = steady["n"]

    def put(key, amount):
        if amount:
            bars[key].amount += amount
            bars[key].count += 1

    for pk, now in current.items():
        then = before[pk]
        was = then["exists"] and in_period(then)
        is_ = in_period(now)
        if was:
            start += then["amount"]
            start_count += 1
        if is_:
            end += now["amount"]
            end_count += 1
        if not was and is_:
            put("new" if not then["exists"] else "pulled_in", now["amount"])
        elif was:
            change = now["amount"] - then["amount"]
            put("amount_up" if change > 0 else "amount_down", change)
            if not is_:
                closed, won = stages.get(now["stage"], (False, False))
                put("won" if closed and won else "lost" if closed else "pushed_out", -now["amount"])
    return Waterfall(since=since, start=start, bars=[bars[k] for k in WATERFALL_KEYS], end=end,
                     start_count=start_count, end_count=end_count)


@dataclass
class Review:
    period: Period
    since: date
    scope: str  # company | team | teams
    team: object
    teams: list
    target: Decimal | None  # the scope's own
    members_target: Decimal | None  # Σ the reps'
    won: Decimal
    commit: Decimal
    adjusted_commit: Decimal
    best_case: Decimal
    adjusted_best_case: Decimal
    open_weighted: Decimal
    weighted: Decimal
    rows: list
    rollup: Rollup
    waterfall: Waterfall
    slipping: list  # the first SLIPPING_SHOWN, most pushed first
    slipping_count: int = 0

    @property
    def goal(self) -> Decimal | None:
        """The target the gap and coverage use: the scope's own, else the sum of its reps'."""
        return self.target if self.target is not None else self.members_target

    @property
    def gap(self) -> Decimal | None:
        """target − (won + commit), the commit with the managers' adjustments."""
        return None if self.goal is None else self.goal - (self.won + self.adjusted_commit)

    @property
    def gap_unadjusted(self) -> Decimal | None:
        return None if self.goal is None else self.goal - (self.won + self.commit)

    @property
    def coverage(self) -> Decimal | None:
        """open weighted ÷ (target − won), half-up to 4 decimals; None when target − won ≤ 0."""
        if self.goal is None or self.goal - self.won <= 0:
            return None
        return (self.open_weighted / (self.goal - self.won)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _targets(*, scope: str, teams: list, user_ids: list, period: Period) -> tuple[Decimal | None, dict[int, Decimal]]:
    """(the scope's own target for `period`: the company's, the team's, or the sum of the
    manager's teams' own targets, None when there is none; {user id: target} of `user_ids` as
    `user_target_amounts` reads them) — ONE query for both."""
    years = list(range(period.start.year, period.end.year + 1))
    own = Q(scope=Target.Scope.COMPANY) if scope == "company" else Q(scope=Target.Scope.TEAM, team__in=[t.pk for t in teams])
    qs = Target.objects.filter(year__in=years, measure=Measure.WON).filter(own | Q(scope=Target.Scope.USER, user_id__in=user_ids))
    amount, found, users = ZERO, False, {}
    for target in qs:
        if target.scope == Target.Scope.USER:
            users[target.user_id] = users.get(target.user_id, ZERO) + target_period_amount(target, period)
        else:
            found = True
            amount += target_period_amount(target, period)
    return (amount if found else None), users


def _scope_pipeline(*, opportunities, period: Period, since: date):
    """ONE grouped query over `opportunities` (the scope's deals): ({owner id: PipelineSums}, the
    scope's PipelineSums, (count, cents) of the waterfall's steady deals). The scope's sums are
    taken from the owners' integer sums, so they equal `weighted_pipeline` over the scope."""
    from django.db.models import BigIntegerField, Case, ExpressionWrapper, F, Value, When
    from django.db.models.functions import Coalesce

    from kehu.sales.selectors import _in_period, _pipeline_aggregates, _sums

    steady = _steady_q(period, _moment(since))
    zero = Value(0, output_field=BigIntegerField())
    cents = ExpressionWrapper(F("amount"), output_field=BigIntegerField())
    aggregates = {**_pipeline_aggregates(period.start, period.end), "sn": Count("pk", filter=steady),
                  "sc": Coalesce(Sum(Case(When(steady, then=cents), default=zero, output_field=BigIntegerField())), zero)}
    rows = list(_in_period(opportunities, period.start, period.end).order_by().values("owner_id").annotate(**aggregates))
    keys = ("w", "oa", "won", "on", "wn", "sn", "sc")
    total = {k: sum(int(r[k]) for r in rows) for k in keys}
    return {r["owner_id"]: _sums(r) for r in rows}, _sums(total), (total["sn"], total["sc"])


def _reps_and_owners(*, user, scope: str, teams: list, managed_teams: list | None):
    """(the reps listed: `planning_users(user)` of the scope, by username; the ids of the users
    whose deals count for the scope, None for the company). A team scope: ONE query for both
    (the teams' members; the reps are its active members with the rep role, which is what
    `planning_users` gives of teams the user sees). `managed_teams`: all the teams a manager
    manages (`visible_teams`), already read: their members are read (and the scope's kept), and
    are the manager's `managed_user_ids` too — remembered for the request as
    `kehu.accounts.visibility` does, so the slipping deals' visibility needs no query of its own."""
    from kehu.accounts.models import User
    from kehu.accounts.visibility import remember_managed_ids

    if scope == "company":
        return list(planning_users(user)), None
    read = managed_teams if managed_teams is not None else teams
    members = list(User.objects.filter(team__in=[t.pk for t in read]).select_related("team").order_by("username"))
    if managed_teams is not None:
        remember_managed_ids(user, [m.pk for m in members])
    wanted = {t.pk for t in teams}
    members = [m for m in members if m.team_id in wanted]
    return [m for m in members if m.role == User.Role.REP and m.is_active], [m.pk for m in members]


def friday_review(*, user, period: Period, team=None, since: date, today: date, teams=None) -> Review:
    """The Friday review of `period` for `user`'s scope: the company (director, finance), the
    teams a manager manages, or one `team` (from `resolve_team`). A user who may not read the
    review: PermissionDenied. `teams`: `visible_teams(user)` by name, already read by the caller
    (one query fewer). A fixed number of queries: eleven, the visibility of the slipping deals
    included."""
    from kehu.sales.models import Opportunity

    if not can_view_review(user):
        raise PermissionDenied
    company = sees_company(user)
    visible = list(teams) if teams is not None else None
    if team is not None:
        scope, teams = "team", [team]
    elif company:
        scope, teams = "company", []
    else:
        if visible is None:
            visible = list(visible_teams(user).order_by("name"))
        teams = visible
        scope = "team" if len(teams) == 1 else "teams"
        team = teams[0] if len(teams) == 1 else None
    managed_teams = visible if (visible is not None and user.is_manager and not company) else None
    since = min(max(since, today - timedelta(days=MAX_SINCE_DAYS)), today)
    # A manager's reps are their teams' members.
    reps, owner_ids = _reps_and_owners(user=user, scope=scope, teams=teams, managed_teams=managed_teams)
    # The scope's won, pipeline and waterfall are every deal its people own — reps who left, a
    # manager's own deals — not only the active reps listed (the attainment page counts the same).
    owners = Q() if owner_ids is None else Q(owner_id__in=owner_ids)
    owned = Opportunity.objects.filter(owners)
    by_owner, scope_sums, steady = _scope_pipeline(opportunities=owned, period=period, since=since)
    target, rep_targets = _targets(scope=scope, teams=teams, user_ids=[r.pk for r in reps], period=period)
    summary = rollup(user=user, period=period, team=team, today=today, reps=reps, sums=by_owner, targets=rep_targets, week=False)
    total = summary.total
    # The slipping deals are listed one by one (with links): only those the reader may open.
    slipping_qs = Opportunity.objects.visible_to(user).filter(owners).filter(
        stage__is_closed=False, expected_close_on__gte=period.start, expected_close_on__lte=period.end, push_count__gte=2)
    slipping = list(slipping_qs.select_related("customer", "owner", "stage").order_by("-push_count", "expected_close_on", "pk")[:SLIPPING_SHOWN + 1])
    slipping_count = len(slipping) if len(slipping) <= SLIPPING_SHOWN else slipping_qs.count()
    slipping = slipping[:SLIPPING_SHOWN]
    return Review(
        period=period, since=since, scope=scope, team=team, teams=teams,
        target=target, members_target=total.target,
        won=scope_sums.won, commit=total.commit, adjusted_commit=total.adjusted_commit, best_case=total.best_case,
        adjusted_best_case=total.adjusted_best_case, open_weighted=scope_sums.open_weighted, weighted=scope_sums.total,
        rows=summary.rows, rollup=summary,
        waterfall=waterfall(opportunities=owned, period=period, since=since, steady=steady),
        slipping=slipping, slipping_count=slipping_count,
    )

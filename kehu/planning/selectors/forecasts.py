"""Reads of the weekly forecast (issue 11, docs/rules.md "Targets and forecast"): the rep's grid
and its totals per forecast category, the pre-filled commit and best case, the forecast week of
a day, who submitted this week, the latest submissions, a rep's history and one submission.

Every read that names a rep starts from `kehu.planning.querysets` (whose numbers a user sees)
or from `Opportunity.objects.visible_to(user)`; anything else is 404.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import BigIntegerField, Case, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from kehu.core.money import from_minor
from kehu.core.views import get_visible_or_404
from kehu.planning.models import ForecastSubmission, PlanningSettings
from kehu.planning.periods import Period
from kehu.planning.querysets import planning_users, submissions_visible_to
from kehu.sales.models import Opportunity, OpportunityStage

Category = Opportunity.ForecastCategory
# The categories the grid totals, in the order they are shown.
GRID_CATEGORIES = (Category.COMMIT, Category.BEST_CASE, Category.PIPELINE, Category.OMITTED)
ZERO = Decimal("0.00")

# The order of "latest": the submission day, then when it was recorded, then its id.
LATEST_ORDER = ("-submitted_on", "-recorded_at", "-id")


# --- the grid ------------------------------------------------------------------------------------

@dataclass
class GridLine:
    opportunity: Opportunity
    probability: int  # the rep's, else the stage's default
    counts: bool  # a close date in the period and an amount > 0
    needs_close_date: bool
    needs_amount: bool
    is_overdue: bool = False  # expected close already passed: needs a new date


@dataclass
class CategoryTotals:
    commit: Decimal = ZERO
    best_case: Decimal = ZERO
    pipeline: Decimal = ZERO
    omitted: Decimal = ZERO

    @property
    def best_case_with_commit(self) -> Decimal:
        """The pre-filled best case: commit + best case."""
        return self.commit + self.best_case

    def as_dict(self) -> dict:
        return {"commit": self.commit, "best_case": self.best_case, "pipeline": self.pipeline, "omitted": self.omitted,
                "best_case_with_commit": self.best_case_with_commit}


@dataclass
class ForecastGrid:
    rep: object
    period: Period
    lines: list[GridLine] = field(default_factory=list)
    totals: CategoryTotals = field(default_factory=CategoryTotals)

    @property
    def undated(self) -> list[GridLine]:
        return [line for line in self.lines if line.needs_close_date]


def line_counts(opportunity, period: Period) -> bool:
    """Whether an open opportunity counts in `period`'s totals: expected close in it, amount > 0."""
    close = opportunity.expected_close_on
    return close is not None and period.contains(close) and opportunity.amount > 0


def grid_line(opportunity, period: Period, today: date | None = None) -> GridLine:
    probability = opportunity.probability if opportunity.probability is not None else opportunity.stage.probability
    close = opportunity.expected_close_on
    return GridLine(opportunity=opportunity, probability=probability, counts=line_counts(opportunity, period),
                    needs_close_date=close is None, needs_amount=not opportunity.amount > 0,
                    is_overdue=bool(today and close and close < today))


def grid_totals(opportunities, period: Period) -> CategoryTotals:
    """Σ amount per forecast category of the open opportunities that count in `period`
    (the rule of `prefill`, for opportunities in hand)."""
    sums = {c: ZERO for c in GRID_CATEGORIES}
    for opp in opportunities:
        if not opp.stage.is_closed and line_counts(opp, period) and opp.forecast_category in sums:
            sums[opp.forecast_category] += opp.amount
    return CategoryTotals(commit=sums[Category.COMMIT], best_case=sums[Category.BEST_CASE],
                          pipeline=sums[Category.PIPELINE], omitted=sums[Category.OMITTED])


def grid_opportunities(*, user, rep, period: Period, today: date | None = None):
    """The rep's open opportunities expected to close in `period`, those whose expected close
    has passed (before `today`: they need a new date) and those without a close date (they need
    one to count), as `user` sees them; ordered by close date, then id."""
    wanted = Q(expected_close_on__gte=period.start, expected_close_on__lte=period.end) | Q(expected_close_on__isnull=True)
    if today is not None:
        wanted |= Q(expected_close_on__lt=today)
    return (Opportunity.objects.visible_to(user)
            .filter(owner_id=rep.pk, stage__is_closed=False)
            .filter(wanted)
            .select_related("customer", "stage")
            .order_by(F("expected_close_on").asc(nulls_last=True), "pk"))


def forecast_grid(*, user, rep, period: Period, today: date | None = None) -> ForecastGrid:
    """The grid of `rep` for `period` as `user` sees it (one query); with `today`, the open
    opportunities whose expected close has passed are listed too (flagged, not counted)."""
    opportunities = list(grid_opportunities(user=user, rep=rep, period=period, today=today))
    # the period's lines first, then those whose date has passed, then those without a date
    opportunities.sort(key=lambda o: (o.expected_close_on is None, not period.contains(o.expected_close_on) if o.expected_close_on else True))
    return ForecastGrid(rep=rep, period=period, lines=[grid_line(o, period, today) for o in opportunities],
                        totals=grid_totals(opportunities, period))


def grid_stages() -> list[OpportunityStage]:
    """The stages a grid line may move to (all, in their order)."""
    return list(OpportunityStage.objects.all())


def forecast_rep_get_visible_or_404(*, user, pk, include_inactive: bool = False):
    """A rep whose forecast `user` sees, or 404 (a deactivated rep only with `include_inactive`:
    their history stays readable)."""
    return get_visible_or_404(planning_users(user, include_inactive=include_inactive), pk=pk)


# --- pre-fill ----------------------------------------------------------------------------------

def prefill_many(*, rep, periods: list[Period]) -> dict[str, tuple[Decimal, Decimal]]:
    """{period label: (commit, best case)} of `rep` for each period, in one query: commit =
    Σ amount of the rep's open opportunities of category commit expected to close in the
    period with an amount > 0; best case = commit + Σ of those of category best case."""
    if not periods:
        return {}
    zero = Value(0, output_field=BigIntegerField())
    cents = F("amount")
    aggregates = {}
    for i, period in enumerate(periods):
        in_period = Q(expected_close_on__gte=period.start, expected_close_on__lte=period.end)
        for key, category in (("c", Category.COMMIT), ("b", Category.BEST_CASE)):
            aggregates[f"{key}{i}"] = Coalesce(
                Sum(Case(When(in_period & Q(forecast_category=category), then=cents), default=zero, output_field=BigIntegerField())),
                zero)
    row = (Opportunity.objects.filter(owner_id=rep.pk, stage__is_closed=False, amount__gt=0, expected_close_on__isnull=False,
                                      forecast_category__in=[Category.COMMIT, Category.BEST_CASE])
           .aggregate(**aggregates))
    result = {}
    for i, period in enumerate(periods):
        commit = from_minor(int(row[f"c{i}"] or 0))
        result[period.label] = (commit, commit + from_minor(int(row[f"b{i}"] or 0)))
    return result


def prefill(*, rep, period: Period) -> tuple[Decimal, Decimal]:
    """(commit, best case) pre-filled for `rep` and `period` (see prefill_many)."""
    return prefill_many(rep=rep, periods=[period])[period.label]


# --- the forecast week --------------------------------------------------------------------------

def _weekday(settings) -> int:
    if settings is None:
        settings = PlanningSettings.load()
    return settings if isinstance(settings, int) else settings.cutoff_weekday


def this_week(*, today: date, settings=None) -> tuple[date, date]:
    """(first day, cut-off day C) of the forecast week of `today`: C is the first cut-off
    weekday on or after today, the week covers C − 6 .. C (both inclusive). `settings`: the
    PlanningSettings (or a weekday 0 = Monday .. 6 = Sunday; None reads the settings)."""
    cutoff = today + timedelta(days=(_weekday(settings) - today.weekday()) % 7)
    return cutoff - timedelta(days=6), cutoff


def last_passed_cutoff(*, today: date, settings=None) -> date:
    """The latest cut-off day before `today` (the week it ends is over)."""
    return this_week(today=today, settings=settings)[1] - timedelta(days=7)


@dataclass(frozen=True)
class WeekStatus:
    state: str  # submitted | carried | missing
    submitted_on: date | None = None

    @property
    def is_missing(self) -> bool:
        return self.state == "missing"


SUBMITTED, CARRIED, MISSING = "submitted", "carried", "missing"


def submission_status(*, reps, today: date, settings=None) -> dict[int, WeekStatus]:
    """{rep id: WeekStatus} for the forecast week of `today` (this_week): `submitted` when the
    rep has a submission of their own (the page or an import) dated in the week, else `carried`
    when only a carried-forward one is dated in it (a past week: pass its cut-off day as
    `today`), else `missing`. One query."""
    start, cutoff = this_week(today=today, settings=settings)
    ids = [r.pk if hasattr(r, "pk") else r for r in reps]
    rows = (ForecastSubmission.objects.filter(user_id__in=ids, submitted_on__gte=start, submitted_on__lte=cutoff)
            .values_list("user_id", "source", "submitted_on"))
    best: dict[int, WeekStatus] = {}
    for user_id, source, submitted_on in rows:
        state = CARRIED if source == ForecastSubmission.Source.CARRIED else SUBMITTED
        current = best.get(user_id)
        if current is None or (current.state == CARRIED and state == SUBMITTED) or (
                current.state == state and submitted_on > current.submitted_on):
            best[user_id] = WeekStatus(state, submitted_on)
    return {i: best.get(i, WeekStatus(MISSING)) for i in ids}


# --- submissions --------------------------------------------------------------------------------

def _label(period) -> str:
    return period.label if isinstance(period, Period) else str(period)


def latest_submissions(*, user_ids, period) -> dict[int, ForecastSubmission]:
    """{user id: the latest submission of that user for `period` (a Period or its label)} —
    latest by (submitted_on, recorded_at, id) — in ONE query (a subquery per user that the
    (user, period, submitted_on) index answers), with `carried_from` joined; users without one
    are absent. Carried submissions count like the others. The roll-up, the review and the
    forecast pages all read it."""
    from kehu.accounts.models import User

    label = _label(period)
    ids = list(user_ids)
    if not ids:
        return {}
    newest = (ForecastSubmission.objects.filter(user_id=OuterRef("pk"), period=label)
              .order_by(*LATEST_ORDER).values("pk")[:1])
    latest_ids = User.objects.filter(pk__in=ids).annotate(latest=Subquery(newest)).values("latest")
    return {s.user_id: s for s in ForecastSubmission.objects.filter(pk__in=latest_ids).select_related("carried_from")}


def latest_submissions_by_period(*, user_ids, periods) -> dict[str, dict[int, ForecastSubmission]]:
    """{period label: latest_submissions(user_ids=…, period=it)} for several `periods`, in ONE
    query (a subquery per user and period, as latest_submissions)."""
    from kehu.accounts.models import User

    labels = [_label(p) for p in periods]
    result: dict[str, dict[int, ForecastSubmission]] = {label: {} for label in labels}
    ids = list(user_ids)
    if not ids or not labels:
        return result
    latest = User.objects.filter(pk__in=ids).annotate(**{
        f"latest{i}": Subquery(ForecastSubmission.objects.filter(user_id=OuterRef("pk"), period=label)
                               .order_by(*LATEST_ORDER).values("pk")[:1])
        for i, label in enumerate(labels)})
    # one IN over a UNION ALL of the per-period ids (not an OR of INs: PostgreSQL then scans
    # every submission), so each id is a primary-key look-up
    ids_of = [latest.values(f"latest{i}") for i in range(len(labels))]
    wanted = ids_of[0].union(*ids_of[1:], all=True) if len(ids_of) > 1 else ids_of[0]
    for s in ForecastSubmission.objects.filter(pk__in=wanted).select_related("carried_from"):
        result[s.period][s.user_id] = s
    return result


def latest_submission(*, rep, period) -> ForecastSubmission | None:
    """The latest submission of `rep` for `period`, or None."""
    return (ForecastSubmission.objects.filter(user_id=rep.pk, period=_label(period))
            .order_by(*LATEST_ORDER).first())


def rep_latest_by_period(*, rep, periods) -> dict[str, ForecastSubmission]:
    """{period label: `rep`'s latest submission for it} for `periods`, in one query."""
    labels = [_label(p) for p in periods]
    result: dict[str, ForecastSubmission] = {}
    for s in ForecastSubmission.objects.filter(user_id=rep.pk, period__in=labels).order_by("period", *LATEST_ORDER):
        result.setdefault(s.period, s)
    return result


def submission_history(*, user, rep):
    """`rep`'s submissions as `user` sees them (none when `user` does not see the rep), newest
    first."""
    return (submissions_visible_to(user).filter(user_id=rep.pk)
            .select_related("carried_from")
            .order_by(*LATEST_ORDER))


def submission_get_visible_or_404(*, user, pk) -> ForecastSubmission:
    return get_visible_or_404(submissions_visible_to(user).select_related("user", "snapshot", "carried_from", "created_by"), pk=pk)


@dataclass
class SnapshotLine:
    opportunity_id: int
    opportunity: Opportunity | None  # None: `user` no longer sees it
    stage: OpportunityStage | None
    amount: Decimal
    probability: int | None  # the rep's, else None (the stage's default then)
    expected_close_on: date | None
    forecast_category: str
    in_period: bool = False  # expected to close in the submission's period

    @property
    def category_label(self) -> str:
        return dict(Category.choices).get(self.forecast_category, self.forecast_category)

    @property
    def effective_probability(self) -> int | None:
        if self.probability is not None:
            return self.probability
        return self.stage.probability if self.stage else None


def snapshot_lines(*, user, submission) -> list[SnapshotLine]:
    """The opportunity lines of `submission`'s snapshot as they stood (two queries: the
    opportunities `user` still sees, for their titles, and the stages)."""
    snapshot = submission.snapshot
    raw = list(snapshot.lines) if snapshot else []
    if not raw:
        return []
    ids = {int(line[0]) for line in raw}
    opportunities = {o.pk: o for o in Opportunity.objects.visible_to(user).filter(pk__in=ids).select_related("customer")}
    stages = {s.pk: s for s in OpportunityStage.objects.all()}
    lines = []
    for opp_id, stage_id, cents, probability, close, category in raw:
        lines.append(SnapshotLine(
            opportunity_id=opp_id, opportunity=opportunities.get(opp_id), stage=stages.get(stage_id),
            amount=from_minor(int(cents)), probability=probability,
            expected_close_on=date.fromisoformat(close) if close else None, forecast_category=category,
            in_period=bool(close) and submission.period_start.isoformat() <= close <= submission.period_end.isoformat(),
        ))
    # The snapshot keeps all the rep's open deals (one row for the periods submitted together):
    # the submission's own period first.
    lines.sort(key=lambda line: (not line.in_period, line.expected_close_on or date.max))
    return lines

"""The 工作台 (issue 12): the landing page's cards, per role. Read-only; every number comes from
the selector that owns it (agenda, pool, planning, sales, finance, ranking, anomalies), scoped by
`visible_to` / `kehu.planning.querysets`; counts and sums in SQL, lists capped at LIST_LIMIT.

`workbench(user=…)` returns {"rep": {...} | None, "manager": …, "director": …, "finance": …}: the
parts of the user's role(s) (an admin who is also a manager gets both). A fixed number of queries
per role whatever the number of rows (kehu/reports/tests/test_workbench.py pins it).
docs/rules.md, "工作台 (landing page)", says what each card counts.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Subquery, Sum, Value, Window
from django.utils import timezone

from kehu.core.dates import add_months
from kehu.core.fields import MoneyField

LIST_LIMIT = 5
CHANGES_DAYS = 7
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _money(value) -> Decimal:
    """A Sum over a MoneyField comes back as a Decimal already (integer cents underneath)."""
    return (value if isinstance(value, Decimal) else Decimal(value or 0)).quantize(Decimal("0.01"))


def _periods(today: date):
    from kehu.planning.periods import period_of

    return period_of("month", today), period_of("quarter", today)


# --- shared pieces --------------------------------------------------------------------------

def planning_reps(user):
    """(every rep `user` sees with the inactive ones — the anomalies' reps, kehu.reports.selectors.
    anomalies._reps —, the active ones — planning_users(user) —, the forecast cut-off weekday) in
    ONE query: the planning settings' weekday read beside the reps (a subquery); the settings row
    itself (PlanningSettings.load) only when there is no rep or no row yet."""
    from kehu.planning.models import PlanningSettings
    from kehu.planning.querysets import planning_users

    every = list(planning_users(user, include_inactive=True).annotate(
        wb_cutoff=Subquery(PlanningSettings.objects.filter(pk=1).values("cutoff_weekday")[:1])))
    cutoff = every[0].wb_cutoff if every else None
    return every, [r for r in every if r.is_active], (cutoff if cutoff is not None else PlanningSettings.load())


def _target_sums(targets, period) -> dict:
    """{(scope, user id or None): Σ target_period_amount over the years `period` touches} of the
    `targets` (user and company ones, read once): target_amount's and user_target_amounts' sums
    (not quantized here); absent when the scope has none."""
    from kehu.planning.models import Target
    from kehu.planning.selectors.targets import target_period_amount

    sums: dict = {}
    for t in targets:
        if period.start.year <= t.year <= period.end.year:
            key = (t.scope, t.user_id if t.scope == Target.Scope.USER else None)
            sums[key] = sums.get(key, ZERO) + target_period_amount(t, period)
    return sums

def _stages():
    from kehu.sales.selectors import stage_list

    return stage_list()


def pipeline_by_stage(*, user, owner_ids, stages) -> list[dict]:
    """Open opportunities `user` sees, owned by `owner_ids`, per open stage: count and Σ amount
    (one GROUP BY). Every open stage is listed (0 when empty)."""
    from kehu.sales.models import Opportunity

    rows = {
        r["stage_id"]: r
        for r in Opportunity.objects.visible_to(user).filter(owner_id__in=list(owner_ids), stage__is_closed=False)
        .order_by().values("stage_id").annotate(n=Count("pk"), amount=Sum("amount"))
    }
    return [{"stage": s, "count": rows.get(s.pk, {}).get("n", 0), "amount": _money(rows.get(s.pk, {}).get("amount"))}
            for s in stages if not s.is_closed]


@dataclass
class AgingSummary:
    """Open receivables and due instalments per currency, in the aging buckets of kehu.finance.aging."""

    as_of: date
    currencies: list = field(default_factory=list)  # [(currency, Buckets)]

    @property
    def is_empty(self) -> bool:
        return not any(b.total for _c, b in self.currencies)


def _quantized(buckets):
    from kehu.finance.aging import BUCKETS, Buckets

    return Buckets(**{name: _money(getattr(buckets, name)) for name in BUCKETS})


def aging_summary(*, user, as_of: date) -> AgingSummary:
    """The aging page's company totals (kehu.finance.aging.company_totals: the same rows, the same
    buckets) summed per currency in SQL: three queries, no per-customer rows."""
    from kehu.finance.aging import company_totals

    totals = {currency: _quantized(b) for currency, b in company_totals(user=user, as_of=as_of).items()}
    return AgingSummary(as_of=as_of, currencies=sorted(totals.items()))


def credit_holds(*, user) -> dict:
    """Orders `user` sees that credit control blocked (status blocked): count and the oldest
    LIST_LIMIT with their total. One query: the count beside the rows (a window count over the
    orders, one row per order)."""
    from kehu.finance.selectors import order_list
    from kehu.sales.models import SalesOrder

    qs = order_list(user=user, status=SalesOrder.Status.BLOCKED)
    rows = list(qs.annotate(wb_total=Window(Count("pk"))).order_by("order_date", "id")[:LIST_LIMIT])
    count = rows[0].wb_total if rows else 0
    return {"count": count, "rows": rows}


def anomaly_month(today: date) -> date:
    """The month the 工作台's anomalies are of: last month (its first day)."""
    return add_months(today.replace(day=1), -1)


def anomaly_alerts(*, user, today: date, notifications: bool = True, reps=None) -> dict:
    """DOMAIN.md §7's revenue anomalies of last month for the reps `user` sees, and (`notifications`)
    `user`'s unread anomaly notifications (those `kehu daily` sends to the reps' team managers).
    Three queries; two when `reps` (planning_reps' first list: the same reps) is given."""
    from kehu.activities.models import Notification
    from kehu.activities.notifications import notifications_decorate
    from kehu.reports.selectors.anomalies import revenue_alerts, revenue_anomalies

    month = anomaly_month(today)
    if reps is None:
        alerts = [{"rep": rep, "anomaly": found} for rep, found in revenue_anomalies(month=month, user=user)]
    else:
        alerts = [{"rep": a.rep, "anomaly": a.anomaly} for a in revenue_alerts(month=month, reps=reps)]
    unread = list(Notification.objects.for_user(user).unread().filter(kind=Notification.Kind.ANOMALY)
                  .select_related("customer").order_by("-created_at", "-id")[:LIST_LIMIT]) if notifications else []
    notifications_decorate(unread)
    return {"month": month, "alerts": alerts, "unread": unread}


# --- the rep --------------------------------------------------------------------------------

def rep_part(*, user, today: date, now, stages) -> dict:
    from kehu.activities.models import Activity
    from kehu.customers.services.pool import pool_returning_soon
    from kehu.finance.models import CreditEvent
    from kehu.planning.selectors.forecasts import submission_status, this_week
    from kehu.sales.models import Quote

    # today's and overdue planned follow-ups (the agenda's first two sections)
    planned = Activity.objects.visible_to(user).planned().filter(owner=user, due_on__lte=today)
    counts = planned.order_by().aggregate(overdue=Count("pk", filter=Q(due_on__lt=today)), today=Count("pk", filter=Q(due_on=today)))
    followups = list(planned.select_related("customer").order_by("due_on", "id")[:LIST_LIMIT])
    for row in followups:
        row.days_late = (today - row.due_on).days

    returning = pool_returning_soon(user=user, now=now, limit=LIST_LIMIT + 1)

    month, quarter = _periods(today)
    targets = rep_own_attainments(rep=user, periods=(month, quarter), today=today)

    from kehu.planning.models import PlanningSettings

    settings = PlanningSettings.load()
    start, cutoff = this_week(today=today, settings=settings)
    status = submission_status(reps=[user.pk], today=today, settings=settings)[user.pk]

    # what changed on their quotes and orders in the last CHANGES_DAYS days
    since = now - timedelta(days=CHANGES_DAYS)
    changes = []
    for q in (Quote.objects.visible_to(user).filter(owner=user, decided_at__gte=since,
                                                     status__in=[Quote.Status.APPROVED, Quote.Status.REJECTED])
              .select_related("customer").order_by("-decided_at", "-id")[:LIST_LIMIT * 2]):
        changes.append({"kind": "quote", "what": q.status, "at": q.decided_at, "obj": q})
    for e in (CreditEvent.objects.filter(order__in=_visible_orders(user).filter(owner=user), at__gte=since)
              .select_related("order", "order__customer").order_by("-at", "-id")[:LIST_LIMIT * 2]):
        changes.append({"kind": "order", "what": e.kind, "at": e.at, "obj": e.order})
    changes.sort(key=lambda c: c["at"], reverse=True)

    return {
        "followups": {"n_overdue": counts["overdue"], "n_today": counts["today"], "rows": followups},
        "returning": {"rows": returning[:LIST_LIMIT], "more": len(returning) > LIST_LIMIT},
        "attainment": [{"key": "month", "period": month, "a": targets[0]}, {"key": "quarter", "period": quarter, "a": targets[1]}],
        "has_target": any(t.target is not None for t in targets),
        "forecast": {"status": status, "start": start, "cutoff": cutoff},
        "pipeline": pipeline_by_stage(user=user, owner_ids=[user.pk], stages=stages),
        "changes": changes[:LIST_LIMIT * 2],
    }


def rep_own_attainments(*, rep, periods, today: date) -> list:
    """kehu.planning.selectors.targets.attainment of `rep` (scope user, measure won) for each of
    `periods`, as the rep reads their own (they see themselves): the target (target_amount) and
    won (weighted_pipeline of the deals they own) of every period in one query each."""
    from kehu.planning.models import Measure, Target
    from kehu.planning.selectors.targets import Attainment
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipelines

    years = sorted({y for p in periods for y in range(p.start.year, p.end.year + 1)})
    targets = list(Target.objects.filter(scope=Target.Scope.USER, user_id=rep.pk, year__in=years, measure=Measure.WON))
    sums = weighted_pipelines(opportunities=Opportunity.objects.filter(owner_id__in=[rep.pk]),
                              periods=[(p.start, p.end) for p in periods])
    rows = []
    for period, sum_ in zip(periods, sums):
        target = _target_sums(targets, period).get((Target.Scope.USER, rep.pk))
        rows.append(Attainment(label=str(rep), target=None if target is None else target.quantize(CENT), actual=sum_.won,
                               days=period.days, days_gone=period.days_gone(today), user=rep, team=None))
    return rows


def _visible_orders(user):
    from kehu.sales.models import SalesOrder

    return SalesOrder.objects.visible_to(user).values("pk")


# --- the manager ----------------------------------------------------------------------------

def rep_attainments(*, reps, period, today: date) -> list:
    """Attainment (kehu.planning.selectors.targets.Attainment) of each rep for `period`, measure
    won: the targets and won amounts attainment_table reads (two queries)."""
    from kehu.planning.selectors.targets import Attainment, user_target_amounts
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipeline_by

    ids = [r.pk for r in reps]
    if not ids:
        return []
    targets = user_target_amounts(user_ids=ids, period=period)
    sums = weighted_pipeline_by(opportunities=Opportunity.objects.filter(owner_id__in=ids), group="owner_id",
                                date_from=period.start, date_to=period.end)
    rows = []
    for r in reps:
        row = Attainment(label=str(r), target=targets.get(r.pk), actual=sums[r.pk].won if r.pk in sums else ZERO,
                         days=period.days, days_gone=period.days_gone(today), user=r)
        row.gap = None if row.target is None else row.target - row.actual
        rows.append(row)
    return rows


def manager_part(*, user, today: date, stages) -> dict:
    from kehu.accounts.visibility import managed_user_ids
    from kehu.activities.models import Activity
    from kehu.customers.models import Customer
    from kehu.planning.selectors.forecasts import submission_status
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import quote_approval_queue

    # the first rows and the count of the whole queue in one query (a window count)
    approvals = list(quote_approval_queue(user=user).annotate(wb_total=Window(Count("pk")))[:LIST_LIMIT])
    approvals_count = approvals[0].wb_total if approvals else 0

    _every, reps, cutoff = planning_reps(user)
    month, _quarter = _periods(today)
    attainments = rep_attainments(reps=reps, period=month, today=today)
    # ties by username, as the rep activity report ranks them
    leaderboard = sorted(attainments, key=lambda a: (-a.actual, a.user.username if a.user is not None else ""))

    status = submission_status(reps=reps, today=today, settings=cutoff)
    missing = [r for r in reps if status[r.pk].is_missing]

    team_ids = managed_user_ids(user) if not user.is_admin_role else None
    customers = Customer.objects.visible_to(user).filter(owner__isnull=False)
    opps = Opportunity.objects.visible_to(user)
    if team_ids is not None:
        customers = customers.filter(owner_id__in=team_ids)
        opps = opps.filter(owner_id__in=team_ids)
    # grouped in the order of the covering index `customer_sources_owner_idx` (owner, lead source,
    # stage, …, is_deleted): the count reads that index alone, no table row, no sort; added up per
    # stage here (as the funnel does)
    by_stage: dict[str, int] = {}
    for stage, n in (customers.order_by().values("owner_id", "lead_source", "stage").annotate(n=Count("*"))
                     .order_by("owner_id", "lead_source", "stage").values_list("stage", "n")):
        by_stage[stage] = by_stage.get(stage, 0) + n
    lifecycle = [{"stage": value, "label": label, "count": by_stage.get(value, 0)} for value, label in Customer.Stage.choices]
    # the open stages shown, by id (no join to the stages); grouped by (owner, stage) so that the
    # (owner, stage) index drives for a team (not a scan of every opportunity by stage)
    # with the missed follow-ups per rep in ONE query (UNION ALL of the two small GROUP BYs,
    # tagged 0 and 1)
    opp_counts: dict[int, int] = {}
    missed_counts: dict[int, int] = {}
    open_ids = [s.pk for s in stages if not s.is_closed]
    opp_rows = (opps.filter(stage_id__in=open_ids).order_by().values("owner_id", "stage_id").annotate(n=Count("*"))
                .annotate(wb_part=Value(0)).values_list("wb_part", "stage_id", "n"))
    missed_rows = (Activity.objects.visible_to(user).planned().filter(owner_id__in=[r.pk for r in reps], due_on__lt=today)
                   .order_by().values("owner_id").annotate(n=Count("*")).annotate(wb_part=Value(1))
                   .values_list("wb_part", "owner_id", "n"))
    for part, key, n in opp_rows.union(missed_rows, all=True):
        counts = opp_counts if part == 0 else missed_counts
        counts[key] = counts.get(key, 0) + n
    opp_stages = [{"stage": s, "count": opp_counts.get(s.pk, 0)} for s in stages if not s.is_closed]

    missed = [{"rep": r, "count": missed_counts[r.pk]} for r in reps if missed_counts.get(r.pk)]
    missed.sort(key=lambda m: (-m["count"], m["rep"].username))

    return {
        "approvals": {"count": approvals_count, "rows": approvals},
        "attainments": attainments,
        "month": month,
        "missing": missing,
        "reps_count": len(reps),
        "funnel": {"lifecycle": lifecycle, "opportunities": opp_stages},
        "missed": missed,
        # the card's header; its rows load after the page (workbench_anomalies)
        "anomalies": {"month": anomaly_month(today), "lazy": True},
        "leaderboard": leaderboard[:10],
    }


# --- the director ---------------------------------------------------------------------------

def company_review(*, user, period, today: date, reps=None):
    """The Friday review's headline for the company and `period` (kehu.planning.selectors.review:
    its own Review, so gap and coverage are its formulas): the company's target (else Σ the reps'),
    won, commit with the managers' adjustments, open weighted pipeline. `reps`: the planning
    users already read (director_part reads them once for both periods). The roll-up is read
    without each rep's pipeline: won and pipeline shown here are the company's (one query), so
    its rows carry commits and targets only."""
    from kehu.planning.models import Target
    from kehu.planning.selectors.review import Review, rollup
    from kehu.planning.selectors.targets import target_amount
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipeline

    summary = rollup(user=user, period=period, today=today, reps=reps, pipeline=False)
    sums = weighted_pipeline(opportunities=Opportunity.objects.all(), date_from=period.start, date_to=period.end)
    total = summary.total
    return Review(
        period=period, since=today, scope="company", team=None, teams=[],
        target=target_amount(scope=Target.Scope.COMPANY, period=period), members_target=total.target,
        won=sums.won, commit=total.commit, adjusted_commit=total.adjusted_commit, best_case=total.best_case,
        adjusted_best_case=total.adjusted_best_case, open_weighted=sums.open_weighted, weighted=sums.total,
        rows=[], rollup=summary, waterfall=None, slipping=[],
    )


def company_reviews(*, user, periods, today: date, reps, week) -> list:
    """company_review of each of `periods` (same numbers) with the reads shared: the reps'
    latest submissions and the effective adjustments of every period in one query each, the
    reps' and the company's targets of every year in one, the company's won and weighted
    pipeline of every period in one; `reps` (active) and `week` (this_week) read by the caller.
    Five queries for the month and the quarter (company_review: six each)."""
    from kehu.planning.models import Measure, Target
    from kehu.planning.selectors.forecasts import latest_submissions_by_period
    from kehu.planning.selectors.review import Review, _effective_adjustments, rollup
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipelines

    ids = [r.pk for r in reps]
    latest = latest_submissions_by_period(user_ids=ids, periods=periods)
    adjustments = _effective_adjustments({(label, uid): s for label, rows in latest.items() for uid, s in rows.items()})
    years = sorted({y for p in periods for y in range(p.start.year, p.end.year + 1)})
    targets = list(Target.objects.filter(year__in=years, measure=Measure.WON)
                   .filter(Q(scope=Target.Scope.USER, user_id__in=ids) | Q(scope=Target.Scope.COMPANY)))
    sums = weighted_pipelines(opportunities=Opportunity.objects.all(), periods=[(p.start, p.end) for p in periods])
    reviews = []
    for period, sum_ in zip(periods, sums):
        by_scope = _target_sums(targets, period)
        user_targets = {uid: amount for (scope, uid), amount in by_scope.items() if scope == Target.Scope.USER}
        summary = rollup(user=user, period=period, today=today, reps=reps, pipeline=False, latest=latest[period.label],
                         adjustments={uid: a for (label, uid), a in adjustments.items() if label == period.label},
                         targets=user_targets, week=week)
        company = by_scope.get((Target.Scope.COMPANY, None))
        total = summary.total
        reviews.append(Review(
            period=period, since=today, scope="company", team=None, teams=[],
            target=None if company is None else company.quantize(CENT), members_target=total.target,
            won=sum_.won, commit=total.commit, adjusted_commit=total.adjusted_commit, best_case=total.best_case,
            adjusted_best_case=total.adjusted_best_case, open_weighted=sum_.open_weighted, weighted=sum_.total,
            rows=[], rollup=summary, waterfall=None, slipping=[],
        ))
    return reviews


def pyramid_summary(*, user) -> dict | None:
    from kehu.ranking.models import EvaluationRun
    from kehu.ranking.selectors import class_table, latest_run

    run = latest_run(EvaluationRun.Model.PYRAMID)
    if run is None:
        return None
    return {"run": run, "table": class_table(run, user)}


def director_part(*, user, today: date) -> dict:
    from kehu.planning.selectors.forecasts import this_week

    month, quarter = _periods(today)
    aging = aging_summary(user=user, as_of=today)
    _every, reps, cutoff = planning_reps(user)  # once for both periods
    return {
        "reviews": company_reviews(user=user, periods=(month, quarter), today=today, reps=reps,
                                   week=this_week(today=today, settings=cutoff)),
        "pyramid": pyramid_summary(user=user),
        "aging": aging,
        "holds": credit_holds(user=user),
        # `kehu daily` tells team managers; a director who manages no team gets the manager's part
        # instead. Loaded after the page (workbench_anomalies): the alert's place only.
        "anomalies": {"month": anomaly_month(today), "lazy": True},
    }


# --- finance --------------------------------------------------------------------------------

def finance_part(*, user, today: date, aging=None, holds=None) -> dict:
    from kehu.finance.models import Instalment, Payment, Receivable

    week_end = today + timedelta(days=6)
    due = defaultdict(lambda: {"amount": ZERO, "count": 0})
    for r in (Instalment.objects.visible_to(user).filter(due_on__gte=today, due_on__lte=week_end, applied__lt=F("amount"))
              .order_by().values("contract__currency").annotate(n=Count("pk"), amount=Sum(F("amount") - F("applied"), output_field=MoneyField()))):
        due[r["contract__currency"]]["amount"] += _money(r["amount"])
        due[r["contract__currency"]]["count"] += r["n"]
    for r in (Receivable.objects.visible_to(user).filter(due_on__gte=today, due_on__lte=week_end, open_amount__gt=0)
              .order_by().values("currency").annotate(n=Count("pk"), amount=Sum("open_amount"))):
        due[r["currency"]]["amount"] += _money(r["amount"])
        due[r["currency"]]["count"] += r["n"]
    unapplied = [
        {"currency": r["currency"], "count": r["n"], "amount": _money(r["amount"])}
        for r in Payment.objects.visible_to(user).not_reversed().filter(on_account__gt=0)
        .order_by().values("currency").annotate(n=Count("pk"), amount=Sum("on_account")).order_by("currency")
    ]
    return {
        "holds": holds if holds is not None else credit_holds(user=user),
        "aging": aging if aging is not None else aging_summary(user=user, as_of=today),
        "due": {"start": today, "end": week_end, "currencies": sorted((c, v) for c, v in due.items())},
        "unapplied": unapplied,
    }


# --- the page -------------------------------------------------------------------------------

def workbench(*, user, today: date | None = None, now=None) -> dict:
    """The parts of the workbench `user` sees (see the module docstring)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    parts = {"rep": None, "manager": None, "director": None, "finance": None, "today": today}
    if not (user.is_authenticated and user.is_active):
        return parts
    stages = _stages() if (user.is_rep or user.is_manager) else []
    if user.is_rep:
        parts["rep"] = rep_part(user=user, today=today, now=now, stages=stages)
    if user.is_manager:
        parts["manager"] = manager_part(user=user, today=today, stages=stages)
    if user.is_admin_role:
        parts["director"] = director_part(user=user, today=today)
        if parts["manager"] is not None:
            parts["director"]["anomalies"] = None  # shown once, in the manager's card
    if user.is_finance:
        parts["finance"] = finance_part(user=user, today=today)
    return parts


# --- loaded after the page ------------------------------------------------------------------

def workbench_anomalies(*, user, today: date | None = None) -> dict | None:
    """The anomalies the 工作台 loads after the page (htmx; a page of its own without JavaScript):
    the revenue anomalies of last month read ~55,000 RevenueMonth cells for 100 reps (a third of
    the director's page). {"part": "manager", "anomalies": …} — a manager's card: their reps'
    anomalies and their unread anomaly notifications — or {"part": "director", …} — an admin who
    manages no team: every rep's, no notifications —, the same anomaly_alerts the page read
    itself; None for a user whose 工作台 has neither (the view answers 404). Two queries (the
    reps, their revenue) and, for a manager, their team's ids and unread notifications."""
    today = today or timezone.localdate()
    if not (user.is_authenticated and user.is_active):
        return None
    if user.is_manager:
        part, notifications = "manager", True
    elif user.is_admin_role:
        part, notifications = "director", False
    else:
        return None
    every, _reps, _cutoff = planning_reps(user)
    return {"part": part, "anomalies": anomaly_alerts(user=user, today=today, notifications=notifications, reps=every)}

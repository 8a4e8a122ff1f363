"""Writes of the weekly forecast (issue 11, docs/rules.md "Targets and forecast"): a rep's
submission (one per open period, sharing one snapshot of their open opportunities), a line of
the grid saved through the sales services, the daily steps (carrying a skipped week forward,
the reminder the day before the cut-off) and the forecast settings.

A submission is never edited nor deleted: submitting again adds new ones, the latest counts.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent
from kehu.core.money import MONEY_MAX, MoneyError, format_money, to_decimal, to_minor, within_money_bound
from kehu.planning.errors import PlanningError
from kehu.planning.models import ForecastSnapshot, ForecastSubmission, PlanningSettings
from kehu.planning.periods import forecast_periods
from kehu.planning.permissions import can_edit_planning_settings, can_submit_forecast
from kehu.planning.selectors.forecasts import LATEST_ORDER, MISSING, last_passed_cutoff, submission_status, this_week
from kehu.sales.models import Opportunity


def _local_today(today: date | None) -> date:
    return today or timezone.localdate()


# --- submitting ---------------------------------------------------------------------------------

def _amount(value, *, label: str, period: str) -> Decimal:
    try:
        amount = to_decimal(value)
    except (MoneyError, ValueError, TypeError):
        raise PlanningError(_("%(period)s: the %(what)s is not an amount; write it as 12345.60.") % {"period": period, "what": label},
                            code="amount") from None
    if amount < 0:
        raise PlanningError(_("%(period)s: the %(what)s cannot be negative.") % {"period": period, "what": label}, code="negative")
    if not within_money_bound(amount) or amount != amount.quantize(Decimal("0.01")):
        raise PlanningError(_("%(period)s: the %(what)s must have at most 2 decimals and be at most %(max)s.")
                            % {"period": period, "what": label, "max": format_money(MONEY_MAX)}, code="bound")
    return amount


def snapshot_lines_of(rep) -> list[list]:
    """The compact lines of `rep`'s open opportunities now (one query): [id, stage id, amount in
    cents, the rep's probability or null, expected close ISO or "", forecast category]."""
    rows = (Opportunity.objects.filter(owner_id=rep.pk, stage__is_closed=False)
            .order_by("pk")
            .values_list("pk", "stage_id", "amount", "probability", "expected_close_on", "forecast_category"))
    return [[pk, stage_id, to_minor(amount), probability, close.isoformat() if close else "", category]
            for pk, stage_id, amount, probability, close, category in rows]


def forecast_submit(*, actor, numbers: dict, today: date | None = None, now=None) -> list[ForecastSubmission]:
    """The rep's forecast: `numbers` = {period label: (commit, best case)} for periods open on
    `today` (forecast_periods). Creates one snapshot of the rep's open opportunities and one
    submission per period, all or nothing. Only the rep themself (can_submit_forecast)."""
    if not can_submit_forecast(actor):
        raise PermissionDenied
    today = _local_today(today)
    now = now or timezone.now()
    open_periods = {p.label: p for p in forecast_periods(today)}
    if not numbers:
        raise PlanningError(_("Enter a commit and a best case for at least one period."), code="empty")
    cleaned = []
    for label, pair in numbers.items():
        period = open_periods.get(str(label))
        if period is None:
            raise PlanningError(_("%(period)s is not open for a forecast on %(day)s; the open periods are %(open)s.") % {
                "period": str(label)[:20], "day": today.isoformat(), "open": ", ".join(open_periods)}, code="closed_period")
        commit_raw, best_raw = pair
        commit = _amount(commit_raw, label=_("commit"), period=period.label)
        best_case = _amount(best_raw, label=_("best case"), period=period.label)
        if best_case < commit:
            raise PlanningError(_("%(period)s: the best case cannot be below the commit.") % {"period": period.label}, code="best_below_commit")
        cleaned.append((period, commit, best_case))
    with transaction.atomic():
        snapshot = ForecastSnapshot.objects.create(user=actor, taken_at=now, lines=snapshot_lines_of(actor))
        submissions = [
            ForecastSubmission.objects.create(
                user=actor, period=period.label, period_start=period.start, period_end=period.end, submitted_on=today,
                commit=commit, best_case=best_case, source=ForecastSubmission.Source.PAGE, snapshot=snapshot, created_by=actor,
            )
            for period, commit, best_case in cleaned
        ]
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=snapshot,
                     changes={s.period: [None, f"{s.commit} / {s.best_case}"] for s in submissions})
    return submissions


# --- a line of the grid -------------------------------------------------------------------------

def forecast_line_save(*, actor, opportunity: Opportunity, seen: dict | None = None, stage=None, **fields) -> Opportunity:
    """Save one line of the rep's grid through the sales services (their rules, audit and
    stale-edit check): the fields first (opportunity_update), then the stage when it changes
    (opportunity_move). All or nothing. Only the rep, on their own opportunity."""
    from kehu.sales.services.opportunities import opportunity_move, opportunity_update

    if not can_submit_forecast(actor) or opportunity.owner_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        opp = opportunity_update(actor=actor, opportunity=opportunity, seen=seen, **fields)
        if stage is not None and stage.pk != opp.stage_id:
            probability = fields.get("probability") if not stage.is_closed else None
            opp = opportunity_move(actor=actor, opportunity=opp, stage=stage, probability=probability)
    return Opportunity.objects.select_related("customer", "stage").get(pk=opp.pk)


# --- daily steps ----------------------------------------------------------------------------------

def _active_rep_ids() -> list[int]:
    from kehu.accounts.models import User

    return list(User.objects.filter(role=User.Role.REP, is_active=True).order_by("pk").values_list("pk", flat=True))


def forecast_carry_forward(*, today: date | None = None) -> int:
    """After the cut-off C has passed (the latest one before `today`): for each active rep and
    each period of forecast_periods(C) with an earlier submission but none dated C − 6 .. C,
    a carried submission dated C with the previous numbers (carried_from = the first of the
    chain). Idempotent. How many were created."""
    today = _local_today(today)
    settings = PlanningSettings.load()
    cutoff = last_passed_cutoff(today=today, settings=settings)
    start = cutoff - timedelta(days=6)
    rep_ids = _active_rep_ids()
    if not rep_ids:
        return 0
    new = []
    for period in forecast_periods(cutoff):
        latest = (ForecastSubmission.objects.filter(user_id=OuterRef("user_id"), period=period.label, submitted_on__lte=cutoff)
                  .order_by(*LATEST_ORDER).values("pk")[:1])
        rows = ForecastSubmission.objects.filter(user_id__in=rep_ids, period=period.label, submitted_on__lte=cutoff, pk=Subquery(latest))
        for previous in rows:
            if previous.submitted_on >= start:
                continue
            new.append(ForecastSubmission(
                user_id=previous.user_id, period=previous.period, period_start=previous.period_start, period_end=previous.period_end,
                submitted_on=cutoff, commit=previous.commit, best_case=previous.best_case, currency=previous.currency,
                source=ForecastSubmission.Source.CARRIED, carried_from_id=previous.carried_from_id or previous.pk,
                snapshot_id=previous.snapshot_id, created_by=None,
            ))
    if new:
        with transaction.atomic():
            for submission in new:
                submission.save()
    return len(new)


def forecast_carried_replace(*, submissions, actor=None) -> int:
    """A carried copy is only a stand-in: for each real submission in `submissions` (page or
    import, just written), remove the carried copy of the same rep and period dated in the same
    forecast week (C − 6 .. C of `this_week(today=submitted_on)`), re-pointing its adjustments
    to the copy's `carried_from` root so that no manager's note is lost (on a replaced
    submission they are not applied), with a `remove` audit event by `actor` (None: the
    system). Call it inside the transaction that wrote them. How many copies were removed."""
    from kehu.planning.models import ForecastAdjustment

    settings = PlanningSettings.load()
    weeks: dict[tuple[int, str], set[tuple[date, date]]] = {}
    for s in submissions:
        if s.source == ForecastSubmission.Source.CARRIED:
            continue
        weeks.setdefault((s.user_id, s.period), set()).add(this_week(today=s.submitted_on, settings=settings))
    if not weeks:
        return 0
    every_week = [pair for pairs in weeks.values() for pair in pairs]
    candidates = ForecastSubmission.objects.filter(
        source=ForecastSubmission.Source.CARRIED, carried_from__isnull=False,
        user_id__in={user_id for user_id, _period in weeks}, period__in={period for _user, period in weeks},
        submitted_on__gte=min(start for start, _c in every_week), submitted_on__lte=max(cutoff for _s, cutoff in every_week),
    ).select_related("user")
    removed = [c for c in candidates
               if any(start <= c.submitted_on <= cutoff for start, cutoff in weeks.get((c.user_id, c.period), ()))]
    if not removed:
        return 0
    with transaction.atomic():
        for copy in removed:
            ForecastAdjustment.objects.filter(submission_id=copy.pk).update(submission_id=copy.carried_from_id)
            audit_record(actor=actor, verb=AuditEvent.Verb.REMOVE, obj=copy, changes={
                "source": [copy.source, None], "commit": [str(copy.commit), None],
                "carried_from": [copy.carried_from_id, None]})
        ForecastSubmission.objects.filter(pk__in=[c.pk for c in removed]).delete()
    return len(removed)


def forecast_remind(*, today: date | None = None) -> int:
    """On the day before the cut-off C: one notification (kind forecast_reminder, fact
    forecast:<C>) to each active rep without a submission of their own this week, when the
    settings send reminders. Idempotent. How many were created."""
    from kehu.activities.models import Notification
    from kehu.activities.notifications import notify_bulk

    today = _local_today(today)
    settings = PlanningSettings.load()
    if not settings.send_reminders:
        return 0
    _start, cutoff = this_week(today=today, settings=settings)
    if cutoff - today != timedelta(days=1):
        return 0
    status = submission_status(reps=_active_rep_ids(), today=today, settings=settings)
    url = reverse("planning:forecast")
    return notify_bulk([
        Notification(user_id=rep_id, kind=Notification.Kind.FORECAST_REMINDER, fact_key=f"forecast:{cutoff.isoformat()}",
                     params={"cutoff": cutoff.isoformat()}, url=url)
        for rep_id, week in status.items() if week.state == MISSING
    ])


# --- settings -----------------------------------------------------------------------------------

def planning_settings_update(*, actor, cutoff_weekday, send_reminders: bool) -> PlanningSettings:
    """The cut-off weekday (0 = Monday .. 6 = Sunday) and the reminder: administrators."""
    if not can_edit_planning_settings(actor):
        raise PermissionDenied
    try:
        weekday = int(cutoff_weekday)
    except (TypeError, ValueError):
        weekday = -1
    if not 0 <= weekday <= 6:
        raise PlanningError(_("Choose a day of the week for the cut-off."), code="weekday")
    with transaction.atomic():
        PlanningSettings.load()
        settings = PlanningSettings.objects.select_for_update().get(pk=1)
        before = {"cutoff_weekday": settings.cutoff_weekday, "send_reminders": settings.send_reminders}
        settings.cutoff_weekday = weekday
        settings.send_reminders = bool(send_reminders)
        after = {"cutoff_weekday": settings.cutoff_weekday, "send_reminders": settings.send_reminders}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changes:
            settings.save()
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=settings, changes=changes)
    return settings

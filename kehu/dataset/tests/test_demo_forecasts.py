"""`kehu demo`: the forecast history of the demo company (issue 11), relative to today."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.dataset.services import demo_company_load
from kehu.planning.models import ForecastAdjustment, ForecastSnapshot, ForecastSubmission, PlanningSettings
from kehu.planning.periods import forecast_periods, period_of
from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One load for the module (it is the slow part), rolled back at the end."""
    from django.db import connection, transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo_company_load()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.close()


def this_cutoff():
    today = timezone.localdate()
    weekday = PlanningSettings.load().cutoff_weekday
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def test_system_demo_has_thirteen_weeks_of_weekly_submissions(demo):
    cutoff = this_cutoff()
    for rep in ("rep1", "rep2", "rep3"):
        days = set(ForecastSubmission.objects.filter(user__username=rep).values_list("submitted_on", flat=True))
        weeks = {(cutoff - day).days // 7 for day in days if day <= cutoff}
        assert set(range(1, 14)) <= weeks, rep
    for week in range(1, 14):
        c = cutoff - timedelta(days=7 * week)
        subs = ForecastSubmission.objects.filter(user__username="rep1", submitted_on__range=(c - timedelta(days=6), c))
        assert sorted(subs.values_list("period", flat=True)) == sorted(p.label for p in forecast_periods(subs[0].submitted_on))
        assert all(s.best_case >= s.commit >= 0 for s in subs)
        assert subs[0].snapshot.lines and {s.snapshot_id for s in subs} == {subs[0].snapshot_id}
        assert timezone.localdate(subs[0].recorded_at) == subs[0].submitted_on
    commits = set(ForecastSubmission.objects.filter(user__username="rep1", period=period_of("month", cutoff).label).values_list("commit", flat=True))
    assert len(commits) > 2  # varies week to week


def test_system_demo_snapshot_lines_are_compact(demo):
    line = ForecastSnapshot.objects.filter(user__username="rep1").order_by("-taken_at").first().lines[0]
    opp_id, stage_id, cents, probability, close, category = line
    assert Opportunity.objects.filter(pk=opp_id).exists() and OpportunityStage.objects.filter(pk=stage_id).exists()
    assert isinstance(cents, int) and category in ("pipeline", "best_case", "commit")


def test_system_demo_rep3_skipped_week_is_carried(demo):
    carried = ForecastSubmission.objects.filter(source="carried")
    assert carried.exists() and {s.user.username for s in carried} == {"rep3"}
    for sub in carried:
        assert sub.carried_from is not None and sub.carried_from.source == "page"
        assert sub.carried_from.period == sub.period and sub.carried_from.commit == sub.commit
        assert sub.carried_from.submitted_on < sub.submitted_on
    assert len({s.submitted_on for s in carried}) == 1


def test_system_demo_this_week_rep3_is_missing(demo):
    cutoff = this_cutoff()
    week = (cutoff - timedelta(days=6), cutoff)
    submitted = set(ForecastSubmission.objects.filter(submitted_on__range=week).values_list("user__username", flat=True))
    assert submitted == {"rep1", "rep2"}
    assert ForecastSubmission.objects.filter(submitted_on__gt=timezone.localdate()).count() == 0


def test_system_demo_mgr1_adjusted_rep2_month(demo):
    adjustment = ForecastAdjustment.objects.get()
    month = period_of("month", timezone.localdate()).label
    assert adjustment.created_by.username == "mgr1" and adjustment.note
    assert adjustment.submission.user.username == "rep2" and adjustment.submission.period == month
    latest = ForecastSubmission.objects.filter(user__username="rep2", period=month).order_by("-submitted_on", "-recorded_at", "-id").first()
    assert adjustment.submission == latest and adjustment.commit < latest.commit


def test_system_demo_last_week_has_each_waterfall_movement(demo):
    today = timezone.localdate()
    since = timezone.now() - timedelta(days=7)
    events = list(AuditEvent.objects.filter(object_type="opportunity", at__gte=since).exclude(verb="import"))
    assert all(e.at <= timezone.now() for e in events)
    won = OpportunityStage.objects.get(code="won").pk
    lost = OpportunityStage.objects.get(code="lost").pk
    quarter = period_of("quarter", today)
    kinds = set()
    for e in events:
        c = e.changes
        if e.verb == "create":
            kinds.add("new")
        if e.verb != "update":
            continue
        if "expected_close_on" in c:
            old, new = c["expected_close_on"]
            kinds.add("pushed" if new > old else "pulled")
            if old > quarter.end.isoformat() >= new:
                kinds.add("pulled into quarter")
            if old <= quarter.end.isoformat() < new:
                kinds.add("pushed out of quarter")
        if "amount" in c:
            kinds.add("up" if Decimal(c["amount"][1]) > Decimal(c["amount"][0]) else "down")
        if "stage" in c:
            kinds.add({won: "won", lost: "lost"}.get(c["stage"][1], "stage"))
    assert {"new", "pulled into quarter", "pushed out of quarter", "up", "down", "won", "lost"} <= kinds
    assert len(events) < 15  # the rest is older
    assert OpportunityStageChange.objects.filter(to_stage_id=won, at__gte=since).count() == 1
    assert Opportunity.objects.filter(stage_id=won, closed_on__gte=quarter.start, owner__username__in=["rep1", "rep2", "rep3"]).exists()


def test_system_demo_slipping_deal_pushed_twice_across_months(demo):
    pushes = {}
    for e in AuditEvent.objects.filter(object_type="opportunity", changes__has_key="expected_close_on"):
        old, new = e.changes["expected_close_on"]
        if old and new and new[:7] > old[:7]:
            pushes[e.object_id] = pushes.get(e.object_id, 0) + 1
    slipping = [pk for pk, n in pushes.items() if n >= 2]
    assert slipping and Opportunity.objects.get(pk=slipping[0]).stage.is_closed is False
    # and the review of this month lists it (push_count kept by the sales service)
    deal = Opportunity.objects.get(pk=slipping[0])
    today = timezone.localdate()
    assert deal.push_count >= 2 and (deal.expected_close_on.year, deal.expected_close_on.month) == (today.year, today.month)


def test_system_demo_open_deals_fill_every_forecast_period(demo):
    today = timezone.localdate()
    opps = Opportunity.objects.filter(owner__username__in=["rep1", "rep2", "rep3"], stage__is_closed=False)
    for period in forecast_periods(today):
        inside = opps.filter(expected_close_on__range=(period.start, period.end))
        assert set(inside.values_list("forecast_category", flat=True)) & {"commit", "best_case"}, period.label
    assert {"commit", "best_case", "pipeline"} <= set(opps.values_list("forecast_category", flat=True))
    for rep in ("rep1", "rep2", "rep3"):
        assert opps.filter(owner__username=rep, expected_close_on__gte=today).exists()


def test_system_demo_second_load_changes_nothing(demo):
    def state():
        return (
            ForecastSubmission.objects.count(), ForecastSnapshot.objects.count(), ForecastAdjustment.objects.count(),
            AuditEvent.objects.count(), Opportunity.objects.count(), OpportunityStageChange.objects.count(),
            list(Opportunity.objects.order_by("pk").values_list("updated_at", flat=True)),
        )

    before = state()
    demo_company_load()
    assert state() == before

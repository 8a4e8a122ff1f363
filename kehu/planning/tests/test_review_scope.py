"""Whose deals the planning figures count (a review found these): a rep's numbers are the deals
they own, the same for every reader; a scope's won and pipeline are every deal its people own;
the waterfall looks back a year at most; an import since `since` is the state at since."""

from datetime import date, datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest

from kehu.core.models import AuditEvent
from kehu.planning.periods import parse_period
from kehu.planning.selectors.review import MAX_SINCE_DAYS, friday_review, rollup, waterfall
from kehu.planning.selectors.targets import attainment, attainment_table
from kehu.sales.models import Opportunity, OpportunityStage
from kehu.sales.services import opportunity_create, opportunity_update

pytestmark = pytest.mark.django_db
P = parse_period("2026-06")
TODAY = date(2026, 6, 12)


def stage(code):
    return OpportunityStage.objects.get(code=code)


def won(rep, customer, amount="1000"):
    opp = opportunity_create(actor=rep, customer=customer, title="won", amount=amount, stage=stage("won"))
    Opportunity.objects.filter(pk=opp.pk).update(closed_on=date(2026, 6, 2))
    return opp


def test_director_company_review_counts_a_departed_reps_won_deal_as_attainment_does(admin, rep_a, customer_a):
    won(rep_a, customer_a)
    rep_a.is_active = False
    rep_a.save()
    review = friday_review(user=admin, period=P, since=date(2026, 6, 5), today=TODAY)
    table = attainment_table(user=admin, scope="company", period=P, today=TODAY)
    assert review.won == table["total"].actual == Decimal("1000.00")


def test_rep_sees_the_same_won_as_the_director_after_the_customer_moved(admin, manager_a, rep_a, rep_b, customer_a):
    won(rep_a, customer_a)
    customer_a.owner = rep_b  # a handover moves open deals only: the won deal stays rep_a's
    customer_a.save()
    mine = rollup(user=rep_a, period=P, today=TODAY).rows[0].won
    managers = next(r for r in rollup(user=manager_a, period=P, today=TODAY).rows if r.user == rep_a).won
    directors = next(r for r in rollup(user=admin, period=P, today=TODAY).rows if r.user == rep_a).won
    assert mine == managers == directors == Decimal("1000.00")
    assert attainment(user=rep_a, scope="user", rep=rep_a, period=P, today=TODAY).actual == Decimal("1000.00")


def test_manager_team_review_counts_their_own_deals_but_not_another_teams(manager_a, rep_a, rep_b, customer_a, customer_b, team_a):
    manager_a.team = team_a
    manager_a.save()
    won(rep_a, customer_a, "1000")
    opportunity_create(actor=manager_a, customer=customer_a, title="mine", amount="500", stage=stage("won"))
    Opportunity.objects.filter(title="mine").update(owner=manager_a, closed_on=date(2026, 6, 3))
    won(rep_b, customer_b, "7000")  # team B
    review = friday_review(user=manager_a, period=P, since=date(2026, 6, 5), today=TODAY)
    assert review.won == Decimal("1500.00")


def test_director_waterfall_looks_back_a_year_at_most(admin):
    review = friday_review(user=admin, period=P, since=date(2000, 1, 1), today=TODAY)
    assert review.since == TODAY - timedelta(days=MAX_SINCE_DAYS)


def test_system_an_import_since_is_the_state_at_since_not_a_change(rep_a, customer_a):
    """A page edit, then an import that sets the amount again: the import's value is where the
    deal stood at since; the page edit before it is not undone past the import."""
    opp = opportunity_create(actor=rep_a, customer=customer_a, title="x", amount="100", stage=stage("proposal"),
                             expected_close_on=date(2026, 6, 20))
    since = date(2026, 6, 5)
    AuditEvent.objects.filter(object_type="opportunity", object_id=opp.pk).update(at=datetime(2026, 5, 1, tzinfo=dt_timezone.utc))
    Opportunity.objects.filter(pk=opp.pk).update(created_at=datetime(2026, 5, 1, tzinfo=dt_timezone.utc))
    opportunity_update(actor=rep_a, opportunity=opp, amount="300")  # a page change since: 100 → 300
    AuditEvent.objects.create(verb=AuditEvent.Verb.IMPORT, object_type="opportunity", object_id=opp.pk,
                              changes={"amount": ["300.00", "400.00"]})  # then a file set 400
    Opportunity.objects.filter(pk=opp.pk).update(amount=Decimal("400"))
    fall = waterfall(opportunities=Opportunity.objects.all(), period=P, since=since)
    assert fall.start == fall.end == Decimal("400.00")
    assert all(bar.amount == 0 for bar in fall.bars)


def test_manager_adjustment_with_best_case_below_commit_is_refused(manager_a, rep_a):
    from kehu.planning.errors import PlanningError
    from kehu.planning.models import ForecastAdjustment, ForecastSubmission
    from kehu.planning.services.adjustments import forecast_adjust

    submission = ForecastSubmission.objects.create(user=rep_a, period=P.label, period_start=P.start, period_end=P.end,
                                                   submitted_on=date(2026, 6, 4), commit="1000.00", best_case="2000.00")
    with pytest.raises(PlanningError):
        forecast_adjust(actor=manager_a, submission=submission, commit="500000", best_case="100", note="x")
    assert not ForecastAdjustment.objects.exists()

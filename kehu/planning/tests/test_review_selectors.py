"""The roll-up and the Friday review (issue 11): latest submissions, the effective adjustment,
gap and coverage, the waterfall since a day (each category, reconciling exactly), slipping
deals, who sees which scope, and the number of queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from factories import CustomerFactory, UserFactory
from kehu.core.models import AuditEvent
from kehu.planning.models import ForecastAdjustment, ForecastSubmission, Target
from kehu.planning.periods import parse_period, period_of
from kehu.planning.selectors.forecasts import latest_submissions
from kehu.planning.selectors.review import friday_review, resolve_team, rollup, waterfall
from kehu.sales.models import Opportunity, OpportunityStage
from kehu.sales.services import opportunity_create, opportunity_move, opportunity_update

pytestmark = pytest.mark.django_db

D = Decimal
P = parse_period("2026-06")
TODAY = date(2026, 6, 12)


def submit(user, on, commit, best_case=None, *, period=P, source="page", carried_from=None):
    return ForecastSubmission.objects.create(
        user=user, period=period.label, period_start=period.start, period_end=period.end, submitted_on=on, commit=D(commit),
        best_case=None if best_case is None else D(best_case), source=source, carried_from=carried_from, created_by=user)


def adjust(submission, commit, by, best_case=None, note="n"):
    return ForecastAdjustment.objects.create(submission=submission, commit=D(commit), best_case=best_case and D(best_case),
                                             note=note, created_by=by)


def stage(code):
    return OpportunityStage.objects.get(code=code)


def row_of(result, user):
    return next(r for r in result.rows if r.user == user)


# --- latest submissions and adjustments -------------------------------------------------------

def test_latest_submission_is_by_day_then_recorded_then_id(rep_a, rep_a2):
    submit(rep_a, date(2026, 6, 4), "100")
    later_day = submit(rep_a, date(2026, 6, 11), "300")
    submit(rep_a, date(2026, 6, 5), "200")
    first = submit(rep_a2, date(2026, 6, 11), "1")
    second = submit(rep_a2, date(2026, 6, 11), "2")
    ForecastSubmission.objects.filter(pk__in=[first.pk, second.pk]).update(recorded_at=timezone.now())  # same moment: the id decides
    submit(rep_a, date(2026, 6, 20), "999", period=parse_period("2026-Q2"))
    latest = latest_submissions(user_ids=[rep_a.pk, rep_a2.pk], period="2026-06")
    assert latest[rep_a.pk] == later_day and latest[rep_a2.pk] == second


def test_manager_sees_latest_commit_best_case_and_flags(manager_a, rep_a, rep_a2):
    root = submit(rep_a, date(2026, 6, 4), "100", "150")
    submit(rep_a, date(2026, 6, 11), "100", "150", source="carried", carried_from=root)
    result = rollup(user=manager_a, period=P, today=TODAY)
    a, a2 = row_of(result, rep_a), row_of(result, rep_a2)
    assert (a.commit, a.best_case, a.submitted_on, a.is_carried, a.carried_from_on, a.is_missing) == (
        D("100.00"), D("150.00"), date(2026, 6, 11), True, date(2026, 6, 4), False)
    assert not a.is_this_week  # on Friday 06-12 this week is 06-12..06-18 (cut-off Thursday)
    assert row_of(rollup(user=manager_a, period=P, today=date(2026, 6, 11)), rep_a).is_this_week  # 06-05..06-11
    assert a2.is_missing and a2.commit == 0 and not a2.can_adjust
    assert [r.user.username for r in result.rows] == ["rep_a", "rep_a2"]


def test_adjustment_on_latest_counts_beside_the_reps_number(manager_a, rep_a):
    sub = submit(rep_a, date(2026, 6, 11), "100", "150")
    adjust(sub, "80", manager_a, note="first")
    latest_adj = adjust(sub, "70", manager_a, best_case="120", note="second")
    row = row_of(rollup(user=manager_a, period=P, today=TODAY), rep_a)
    assert row.adjustment == latest_adj
    assert (row.commit, row.adjusted_commit, row.best_case, row.adjusted_best_case) == (D("100.00"), D("70.00"), D("150.00"), D("120.00"))


def test_adjustment_follows_the_number_carried_from_it(manager_a, rep_a):
    root = submit(rep_a, date(2026, 6, 4), "100")
    adjustment = adjust(root, "90", manager_a)
    first_copy = submit(rep_a, date(2026, 6, 11), "100", source="carried", carried_from=root)
    adjust(first_copy, "85", manager_a, note="on the copy")  # a carried copy's adjustment is the same number's
    submit(rep_a, date(2026, 6, 18), "100", source="carried", carried_from=root)
    row = row_of(rollup(user=manager_a, period=P, today=date(2026, 6, 19)), rep_a)
    assert row.is_carried and row.adjustment.note == "on the copy" and row.adjusted_commit == D("85.00")
    assert adjustment.pk != row.adjustment.pk


def test_stale_adjustment_is_not_applied_after_a_new_submission(manager_a, rep_a):
    old = submit(rep_a, date(2026, 6, 4), "100")
    adjust(old, "50", manager_a)
    submit(rep_a, date(2026, 6, 11), "120")
    row = row_of(rollup(user=manager_a, period=P, today=TODAY), rep_a)
    assert row.adjustment is None and row.adjusted_commit == D("120.00")


def test_team_subtotals_and_total_with_and_without_adjustments(director, rep_a, rep_a2, rep_b, admin):
    sa = submit(rep_a, date(2026, 6, 11), "100", "200")
    submit(rep_a2, date(2026, 6, 11), "50")
    submit(rep_b, date(2026, 6, 11), "10", "30")
    adjust(sa, "60", director)
    result = rollup(user=admin, period=P, today=TODAY)
    team_a, team_b = result.teams
    assert (team_a.label, team_a.commit, team_a.adjusted_commit, team_a.best_case, team_a.adjusted_best_case) == (
        "Team A", D("150.00"), D("110.00"), D("250.00"), D("250.00"))
    assert (team_b.commit, team_b.adjusted_commit) == (D("10.00"), D("10.00"))
    assert (result.total.commit, result.total.adjusted_commit, result.total.reps, result.total.adjusted) == (D("160.00"), D("120.00"), 3, 1)


def test_rollup_has_won_target_and_weighted_pipeline(admin, rep_a, customer_a):
    Target.objects.create(scope="user", user=rep_a, year=2026, amount=D("1200000"), weights=[])
    opportunity_create(actor=rep_a, customer=customer_a, title="open", amount="1000", stage=stage("proposal"), expected_close_on=date(2026, 6, 20))
    won = opportunity_create(actor=rep_a, customer=customer_a, title="won", amount="500", stage=stage("won"))
    Opportunity.objects.filter(pk=won.pk).update(closed_on=date(2026, 6, 3))
    row = row_of(rollup(user=admin, period=P, today=TODAY), rep_a)
    assert (row.target, row.won, row.open_weighted, row.weighted) == (D("100000.00"), D("500.00"), D("500.00"), D("1000.00"))


def test_rep_sees_only_their_own_row_and_team_filter(rep_a, rep_b, manager_a, team_b, team_a):
    assert [r.user for r in rollup(user=rep_a, period=P, today=TODAY).rows] == [rep_a]
    with pytest.raises(Http404):
        resolve_team(user=manager_a, team_id=team_b.pk)
    with pytest.raises(Http404):
        resolve_team(user=manager_a, team_id="x")
    assert resolve_team(user=manager_a, team_id=str(team_a.pk)) == team_a


def test_rollup_query_count_is_fixed(admin, rep_a, customer_a, team_a):
    submit(rep_a, date(2026, 6, 11), "1")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            rollup(user=admin, period=P, today=TODAY)
        return len(ctx.captured_queries)

    count()  # the forecast settings row is created once
    one = count()
    for i in range(20):
        rep = UserFactory(username=f"bulk{i}", role="rep", team=team_a)
        s = submit(rep, date(2026, 6, 11), "5")
        adjust(s, "4", admin)
        Target.objects.create(scope="user", user=rep, year=2026, amount=D("12"), weights=[])
        customer = CustomerFactory(owner=rep, name=f"c{i}", code=f"CB{i:04d}")
        opportunity_create(actor=rep, customer=customer, title="x", amount="10", expected_close_on=date(2026, 6, 20))
    assert count() == one <= 7


# --- the Friday review --------------------------------------------------------------------------

def test_director_review_gap_and_coverage(admin, rep_a, rep_b, customer_a, customer_b):
    Target.objects.create(scope="company", year=2026, amount=D("120000"), weights=[])  # June: 10,000
    Target.objects.create(scope="user", user=rep_a, year=2026, amount=D("60000"), weights=[])
    submit(rep_a, date(2026, 6, 11), "3000", "4000")
    submit(rep_b, date(2026, 6, 11), "1000")
    won = opportunity_create(actor=rep_a, customer=customer_a, title="won", amount="2000", stage=stage("won"))
    Opportunity.objects.filter(pk=won.pk).update(closed_on=date(2026, 6, 2))
    opportunity_create(actor=rep_b, customer=customer_b, title="open", amount="8000", stage=stage("proposal"), expected_close_on=date(2026, 6, 30))
    review = friday_review(user=admin, period=P, since=date(2026, 6, 5), today=TODAY)
    assert review.scope == "company"
    assert (review.target, review.members_target, review.won, review.commit, review.best_case) == (
        D("10000.00"), D("5000.00"), D("2000.00"), D("4000.00"), D("5000.00"))
    assert review.gap == D("4000.00")  # 10,000 − (2,000 + 4,000)
    assert review.open_weighted == D("4000.00") and review.weighted == D("6000.00")
    assert review.coverage == D("0.5000")  # 4,000 ÷ (10,000 − 2,000)


def test_gap_uses_the_adjusted_commit_and_coverage_is_none_when_target_met(admin, director, rep_a, customer_a):
    Target.objects.create(scope="company", year=2026, amount=D("12000"), weights=[])  # June: 1,000
    sub = submit(rep_a, date(2026, 6, 11), "300")
    adjust(sub, "100", director)
    review = friday_review(user=admin, period=P, since=date(2026, 6, 5), today=TODAY)
    assert (review.gap, review.gap_unadjusted, review.coverage) == (D("900.00"), D("700.00"), D("0.0000"))
    won = opportunity_create(actor=rep_a, customer=customer_a, title="won", amount="1000", stage=stage("won"))
    Opportunity.objects.filter(pk=won.pk).update(closed_on=date(2026, 6, 2))
    review = friday_review(user=admin, period=P, since=date(2026, 6, 5), today=TODAY)
    assert review.coverage is None and review.gap == D("-100.00")


def test_no_target_means_no_gap_nor_coverage(admin, rep_a):
    review = friday_review(user=admin, period=P, since=date(2026, 6, 5), today=TODAY)
    assert review.target is None and review.gap is None and review.coverage is None


def test_manager_review_is_their_team_only(manager_a, rep_a, rep_a2, rep_b, team_a, team_b):
    Target.objects.create(scope="team", team=team_a, year=2026, amount=D("24000"), weights=[])
    submit(rep_a, date(2026, 6, 11), "100")
    submit(rep_b, date(2026, 6, 11), "999")
    review = friday_review(user=manager_a, period=P, since=date(2026, 6, 5), today=TODAY)
    assert review.scope == "team" and review.team == team_a and review.target == D("2000.00")
    assert {r.user.username for r in review.rows} == {"rep_a", "rep_a2"} and review.commit == D("100.00")
    with pytest.raises(Http404):
        resolve_team(user=manager_a, team_id=team_b.pk)


def test_director_with_two_teams_sums_their_own_targets(director, team_a, team_b, rep_a, rep_a2, rep_b):
    Target.objects.create(scope="team", team=team_a, year=2026, amount=D("12000"), weights=[])
    Target.objects.create(scope="team", team=team_b, year=2026, amount=D("24000"), weights=[])
    review = friday_review(user=director, period=P, since=date(2026, 6, 5), today=TODAY)
    assert review.scope == "teams" and review.target == D("3000.00") and len(review.rows) == 3


def test_rep_may_not_read_the_review(rep_a):
    with pytest.raises(PermissionDenied):
        friday_review(user=rep_a, period=P, since=date(2026, 6, 5), today=TODAY)


def test_finance_reads_the_company_review(finance, rep_a):
    assert friday_review(user=finance, period=P, since=date(2026, 6, 5), today=TODAY).scope == "company"


# --- the waterfall ------------------------------------------------------------------------------

@pytest.fixture
def history(rep_a, customer_a):
    """Deals as they stood 30 days ago (created then), changed since through the services."""
    today = timezone.localdate()
    period = period_of("month", today).next()
    inside = period.start + timedelta(days=5)
    later = period.next().start + timedelta(days=3)
    earlier = period.previous().start + timedelta(days=3)
    long_ago = timezone.now() - timedelta(days=30)

    def old(title, amount, close, stage_code="proposal"):
        opp = opportunity_create(actor=rep_a, customer=customer_a, title=title, amount=amount, stage=stage(stage_code), expected_close_on=close,
                                 lost_reason="价格" if stage_code == "lost" else "")
        Opportunity.objects.filter(pk=opp.pk).update(created_at=long_ago)
        AuditEvent.objects.filter(object_type="opportunity", object_id=opp.pk).update(at=long_ago)
        return Opportunity.objects.get(pk=opp.pk)

    return {"today": today, "period": period, "inside": inside, "later": later, "earlier": earlier, "old": old,
            "since": today - timedelta(days=7)}


def run_waterfall(user, h):
    return waterfall(opportunities=Opportunity.objects.visible_to(user), period=h["period"], since=h["since"])


def bars(result):
    return {b.key: (b.amount, b.count) for b in result.bars if b.count}


def reconciles(result):
    return result.start + sum((b.amount for b in result.bars), D(0)) == result.end


def test_waterfall_unchanged_deals_are_start_and_end(history, rep_a):
    history["old"]("steady", "100", history["inside"])
    result = run_waterfall(rep_a, history)
    assert (result.start, result.end, bars(result)) == (D("100.00"), D("100.00"), {})


def test_waterfall_new_deal(history, rep_a, customer_a):
    opportunity_create(actor=rep_a, customer=customer_a, title="new", amount="250", expected_close_on=history["inside"])
    result = run_waterfall(rep_a, history)
    assert (result.start, bars(result), result.end) == (D(0), {"new": (D("250.00"), 1)}, D("250.00"))


def test_waterfall_pulled_in_from_later_from_earlier_and_reopened(history, rep_a):
    a = history["old"]("later", "100", history["later"])
    b = history["old"]("earlier", "200", history["earlier"])
    c = history["old"]("lost once", "300", history["inside"], stage_code="lost")
    opportunity_update(actor=rep_a, opportunity=a, expected_close_on=history["inside"])
    opportunity_update(actor=rep_a, opportunity=b, expected_close_on=history["inside"])
    opportunity_move(actor=rep_a, opportunity=c, stage=stage("negotiation"))
    result = run_waterfall(rep_a, history)
    assert (result.start, bars(result), result.end) == (D(0), {"pulled_in": (D("600.00"), 3)}, D("600.00"))


def test_waterfall_pushed_out(history, rep_a):
    a = history["old"]("slips", "100", history["inside"])
    b = history["old"]("no date now", "50", history["inside"])
    opportunity_update(actor=rep_a, opportunity=a, expected_close_on=history["later"])
    opportunity_update(actor=rep_a, opportunity=b, expected_close_on=None)
    result = run_waterfall(rep_a, history)
    assert (result.start, bars(result), result.end) == (D("150.00"), {"pushed_out": (D("-150.00"), 2)}, D(0))


def test_waterfall_amount_up_and_down(history, rep_a):
    a = history["old"]("up", "100", history["inside"])
    b = history["old"]("down", "300", history["inside"])
    opportunity_update(actor=rep_a, opportunity=a, amount="160")
    opportunity_update(actor=rep_a, opportunity=b, amount="200.50")
    result = run_waterfall(rep_a, history)
    assert bars(result) == {"amount_up": (D("60.00"), 1), "amount_down": (D("-99.50"), 1)}
    assert (result.start, result.end) == (D("400.00"), D("360.50")) and reconciles(result)


def test_waterfall_won_and_lost(history, rep_a):
    a = history["old"]("won", "100", history["inside"])
    b = history["old"]("lost", "40", history["inside"])
    opportunity_update(actor=rep_a, opportunity=a, amount="120")
    opportunity_move(actor=rep_a, opportunity=a, stage=stage("won"))
    opportunity_move(actor=rep_a, opportunity=b, stage=stage("lost"), lost_reason="价格")
    result = run_waterfall(rep_a, history)
    assert bars(result) == {"amount_up": (D("20.00"), 1), "won": (D("-120.00"), 1), "lost": (D("-40.00"), 1)}
    assert (result.start, result.end) == (D("140.00"), D(0)) and reconciles(result)


def test_waterfall_changes_before_since_are_history(history, rep_a):
    a = history["old"]("moved long ago", "100", history["later"])
    opportunity_update(actor=rep_a, opportunity=a, expected_close_on=history["inside"])
    AuditEvent.objects.filter(object_type="opportunity", object_id=a.pk).update(at=timezone.now() - timedelta(days=20))
    result = run_waterfall(rep_a, history)
    assert (result.start, bars(result), result.end) == (D("100.00"), {}, D("100.00"))


def test_waterfall_everything_at_once_reconciles_with_the_open_amount(history, rep_a, customer_a, admin):
    from kehu.sales.selectors import weighted_pipeline

    h = history
    deals = [h["old"](f"d{i}", str(100 * (i + 1)), h["inside"] if i % 2 else h["later"]) for i in range(8)]
    opportunity_update(actor=rep_a, opportunity=deals[0], expected_close_on=h["inside"], amount="777.77")
    opportunity_update(actor=rep_a, opportunity=deals[1], expected_close_on=h["later"])
    opportunity_update(actor=rep_a, opportunity=deals[3], amount="1.01")
    opportunity_move(actor=rep_a, opportunity=deals[5], stage=stage("won"))
    opportunity_move(actor=rep_a, opportunity=deals[7], stage=stage("lost"), lost_reason="x")
    opportunity_create(actor=rep_a, customer=customer_a, title="new", amount="5", expected_close_on=h["inside"])
    result = run_waterfall(admin, h)
    assert reconciles(result)
    scope = Opportunity.objects.visible_to(admin)
    assert result.end == weighted_pipeline(opportunities=scope, date_from=h["period"].start, date_to=h["period"].end).open_amount
    assert set(bars(result)) == {"new", "pulled_in", "pushed_out", "amount_down", "won", "lost"}


def test_review_lists_slipping_deals_of_the_period(admin, rep_a, customer_a):
    period = P
    slipping = opportunity_create(actor=rep_a, customer=customer_a, title="slips", amount="1", expected_close_on=date(2026, 4, 1))
    opportunity_update(actor=rep_a, opportunity=slipping, expected_close_on=date(2026, 5, 1))
    opportunity_update(actor=rep_a, opportunity=slipping, expected_close_on=date(2026, 6, 1))
    once = opportunity_create(actor=rep_a, customer=customer_a, title="once", amount="1", expected_close_on=date(2026, 5, 1))
    opportunity_update(actor=rep_a, opportunity=once, expected_close_on=date(2026, 6, 5))
    review = friday_review(user=admin, period=period, since=date(2026, 6, 5), today=TODAY)
    assert [o.title for o in review.slipping] == ["slips"]


def test_review_query_count_is_fixed(admin, rep_a, team_a, customer_a):
    Target.objects.create(scope="company", year=2026, amount=D("12000"), weights=[])
    submit(rep_a, date(2026, 6, 11), "1")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            friday_review(user=admin, period=P, since=date(2026, 6, 5), today=TODAY)
        return len(ctx.captured_queries)

    count()  # the forecast settings row is created once
    one = count()
    for i in range(20):
        rep = UserFactory(username=f"bulk{i}", role="rep", team=team_a)
        adjust(submit(rep, date(2026, 6, 11), "5"), "4", admin)
        customer = CustomerFactory(owner=rep, name=f"c{i}", code=f"CB{i:04d}")
        opp = opportunity_create(actor=rep, customer=customer, title="x", amount="10", expected_close_on=date(2026, 6, 20))
        opportunity_update(actor=rep, opportunity=opp, expected_close_on=date(2026, 7, 20))
    assert count() == one <= 13


def test_waterfall_an_import_is_not_a_change(history, rep_a, customer_a):
    a = history["old"]("imported", "100", history["inside"])
    AuditEvent.objects.create(verb=AuditEvent.Verb.IMPORT, object_type="opportunity", object_id=a.pk, customer=customer_a,
                              changes={"title": [None, "imported"], "amount": [None, "100.00"], "expected_close_on": [None, str(history["inside"])]})
    result = run_waterfall(rep_a, history)
    assert (result.start, bars(result), result.end) == (D("100.00"), {}, D("100.00"))


def test_review_shows_the_most_pushed_slipping_deals_first_and_counts_all(admin, rep_a, customer_a, monkeypatch):
    from kehu.planning.selectors import review as review_module

    monkeypatch.setattr(review_module, "SLIPPING_SHOWN", 2)
    for title, pushes in (("two", 2), ("three", 3), ("four", 4)):
        opp = opportunity_create(actor=rep_a, customer=customer_a, title=title, amount="1", expected_close_on=date(2026, 6, 3))
        Opportunity.objects.filter(pk=opp.pk).update(push_count=pushes)
    review = friday_review(user=admin, period=P, since=date(2026, 6, 5), today=TODAY)
    assert [o.title for o in review.slipping] == ["four", "three"] and review.slipping_count == 3

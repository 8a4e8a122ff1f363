"""The 工作台 in at most 15 queries for every role (issue 13), on a world with several rows per
card (an N+1 would show), and the shared reads (the month and the quarter read together, the
reps and the planning settings once) equal to the per-period selectors they replace."""

from datetime import timedelta
from decimal import Decimal

import pytest

from kehu.activities.models import Notification
from kehu.finance.models import CreditEvent, Instalment, Payment, Receivable
from kehu.planning.models import ForecastAdjustment, ForecastSubmission, Measure, Target
from kehu.planning.periods import period_of
from kehu.planning.selectors.forecasts import latest_submissions, latest_submissions_by_period, this_week
from kehu.planning.selectors.targets import attainment
from kehu.reports.selectors.workbench import company_review, company_reviews, planning_reps, rep_own_attainments, workbench
from kehu.reports.tests.test_workbench import WORKBENCH, opportunity, order, planned, world  # noqa: F401 (the fixture)
from kehu.sales.models import Contract, Opportunity, Quote, SalesOrder
from kehu.sales.selectors import weighted_pipeline, weighted_pipelines

D = Decimal
MAX_QUERIES = 15


def _submit(user, period, commit, day, **kw):
    return ForecastSubmission.objects.create(user=user, period=period.label, period_start=period.start, period_end=period.end,
                                             submitted_on=day, commit=D(commit), **kw)


@pytest.fixture
def big(world):
    """The workbench world with six or more rows on every card."""
    today = world["today"]
    rep_a, rep_a2, rep_b = world["rep_a"], world["rep_a2"], world["rep_b"]
    a, a2, b = world["customer_a"], world["customer_a2"], world["customer_b"]
    month, quarter = period_of("month", today), period_of("quarter", today)
    Target.objects.create(scope=Target.Scope.USER, user=rep_a2, year=today.year, amount=D("60000.00"))
    Target.objects.create(scope=Target.Scope.USER, user=rep_b, year=today.year, amount=D("36000.00"))
    for i in range(6):
        planned(a, rep_a, today - timedelta(days=i + 3))
        planned(a2, rep_a2, today - timedelta(days=i + 3))
        planned(b, rep_b, today - timedelta(days=i + 3))
        opportunity(f"OQ{i}", a, rep_a, "proposal", "10.00", close=today)
        opportunity(f"OW{i}", a2, rep_a2, "won", "20.00", close=today, closed=today)
        Quote.objects.create(code=f"QQ{i}", customer=a2, owner=rep_a2, submitted_by=rep_a2, status=Quote.Status.PENDING, total=D("1.00"))
        Quote.objects.create(code=f"QD{i}", customer=a, owner=rep_a, status=Quote.Status.APPROVED, total=D("1.00"))
        so = order(f"SX{i}", a, rep_a, today, "10.00", status=SalesOrder.Status.BLOCKED)
        CreditEvent.objects.create(order=so, kind=CreditEvent.Kind.BLOCK)
        Receivable.objects.create(customer=b, amount=D("10.00"), open_amount=D("10.00"), issued_on=today, due_on=today + timedelta(days=i))
        Payment.objects.create(code=f"PX{i}", customer=b, paid_on=today, amount=D("10.00"), on_account=D("5.00"))
        Notification.objects.create(user=world["manager_a"], kind=Notification.Kind.ANOMALY, fact_key=f"anomaly-x{i}", params={})
    contract = Contract.objects.create(code="KX", customer=a2, owner=rep_a2, signed_on=today - timedelta(days=30), amount=D("600.00"))
    for i in range(6):
        Instalment.objects.create(contract=contract, seq=i + 1, due_on=today + timedelta(days=i), amount=D("100.00"))
    # forecasts of both periods for three reps, one carried, adjustments on two
    for rep, commit in ((rep_a, "1000.00"), (rep_a2, "2000.00"), (rep_b, "3000.00")):
        old = _submit(rep, month, commit, today - timedelta(days=7))
        _submit(rep, month, str(D(commit) + 1), today)
        _submit(rep, quarter, str(D(commit) * 3), today - timedelta(days=1), best_case=D(commit) * 4)
        ForecastAdjustment.objects.create(submission=old, commit=D("1.00"), created_by=world["manager_a"])
    carried = _submit(rep_a2, quarter, "9.00", today - timedelta(days=14))
    ForecastAdjustment.objects.create(submission=carried, commit=D("7.00"), best_case=D("8.00"), created_by=world["manager_a"])
    return world


@pytest.mark.parametrize("who", ["director", "admin", "manager_a", "rep_a", "finance"])
def test_at_most_fifteen_queries(big, login, who, django_assert_max_num_queries):
    client = login(big[who])
    client.get(WORKBENCH)  # the settings rows are made once
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(WORKBENCH).status_code == 200


def test_the_counts_are_the_whole_lists(big, login):
    wb = login(big["manager_a"]).get(WORKBENCH).context["wb"]
    assert wb["manager"]["approvals"]["count"] == 7 and len(wb["manager"]["approvals"]["rows"]) == 5
    holds = login(big["finance"]).get(WORKBENCH).context["wb"]["finance"]["holds"]
    assert holds["count"] == 8 and [o.code for o in holds["rows"]] == ["SO1", "SO3", "SX0", "SX1", "SX2"]
    assert [o.total for o in holds["rows"]] == [D("1000.00"), D("300.00"), D("10.00"), D("10.00"), D("10.00")]
    missed = {m["rep"].username: m["count"] for m in wb["manager"]["missed"]}
    assert missed == {"rep_a": 7, "rep_a2": 7}
    assert {s["stage"].code: s["count"] for s in wb["manager"]["funnel"]["opportunities"]} == \
        {"first_contact": 0, "needs_confirmed": 0, "proposal": 7, "negotiation": 1}


def test_the_month_and_quarter_read_together_equal_each_read_alone(big):
    today = big["today"]
    periods = (period_of("month", today), period_of("quarter", today))
    every, reps, cutoff = planning_reps(big["director"])
    assert [r.username for r in reps] == [r.username for r in every if r.is_active]
    ids = [r.pk for r in reps]
    together = latest_submissions_by_period(user_ids=ids, periods=periods)
    for p in periods:
        assert together[p.label] == latest_submissions(user_ids=ids, period=p)
    sums = weighted_pipelines(opportunities=Opportunity.objects.all(), periods=[(p.start, p.end) for p in periods])
    assert sums == [weighted_pipeline(opportunities=Opportunity.objects.all(), date_from=p.start, date_to=p.end) for p in periods]
    assert sums[0].won == D("2500.00") + D("6000.00") + 6 * D("20.00")
    fields = ("target", "members_target", "won", "commit", "adjusted_commit", "best_case", "adjusted_best_case", "open_weighted", "weighted")
    shared = company_reviews(user=big["director"], periods=periods, today=today, reps=reps, week=this_week(today=today, settings=cutoff))
    alone = [company_review(user=big["director"], period=p, today=today, reps=reps) for p in periods]
    for s, a in zip(shared, alone):
        assert [getattr(s, f) for f in fields] == [getattr(a, f) for f in fields]
        assert [(r.user.pk, r.commit, r.adjusted_commit, r.target, r.is_this_week) for r in s.rollup.rows] == \
               [(r.user.pk, r.commit, r.adjusted_commit, r.target, r.is_this_week) for r in a.rollup.rows]
    # the month: targets 10,000 + 5,000 + 3,000 of the reps, 20,000 of the company; adjustments
    # on an older submission do not count, the carried one's do
    assert (shared[0].target, shared[0].members_target) == (D("20000.00"), D("18000.00"))
    assert (shared[0].commit, shared[0].adjusted_commit) == (D("6003.00"), D("6003.00"))
    assert shared[1].commit == D("18000.00")


def test_the_reps_attainments_are_attainment(big):
    today, rep = big["today"], big["rep_a"]
    periods = (period_of("month", today), period_of("quarter", today))
    fields = ("label", "target", "actual", "days", "days_gone", "attained")
    for shared, p in zip(rep_own_attainments(rep=rep, periods=periods, today=today), periods):
        alone = attainment(user=rep, scope=Target.Scope.USER, period=p, measure=Measure.WON, rep=rep, today=today)
        assert [getattr(shared, f) for f in fields] == [getattr(alone, f) for f in fields]


def test_a_world_without_reps_or_settings(db, admin):
    parts = workbench(user=admin)
    assert [r.members_target for r in parts["director"]["reviews"]] == [None, None]

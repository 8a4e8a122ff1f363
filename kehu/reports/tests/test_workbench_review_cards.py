"""The director's 工作台 at scale (issue 13): the company review card reads the reps once for
both periods and no per-rep pipeline (won and pipeline are the company's), with the Friday
review's own figures; a fixed number of queries with several reps, submissions and deals."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from factories import CustomerFactory, UserFactory
from kehu.planning.models import ForecastAdjustment, ForecastSubmission, Target
from kehu.planning.periods import period_of
from kehu.planning.selectors.review import friday_review, rollup
from kehu.reports.selectors.workbench import director_part
from kehu.sales.models import Opportunity, OpportunityStage
from kehu.sales.services import opportunity_create

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 6, 12)
MONTH, QUARTER = period_of("month", TODAY), period_of("quarter", TODAY)


def _submit(user, period, commit, best_case=None):
    return ForecastSubmission.objects.create(
        user=user, period=period.label, period_start=period.start, period_end=period.end, submitted_on=TODAY - timedelta(days=1),
        commit=D(commit), best_case=None if best_case is None else D(best_case), source="page", created_by=user)


def _world(team, admin, n, start=0):
    proposal, won = OpportunityStage.objects.get(code="proposal"), OpportunityStage.objects.get(code="won")
    for i in range(start, start + n):
        rep = UserFactory(username=f"pgl{i}", role="rep", team=team)
        Target.objects.create(scope="user", user=rep, year=2026, amount=D("12000") * (i + 1), weights=[])
        s = _submit(rep, MONTH, 100 * (i + 1), 150 * (i + 1))
        if i % 2:
            ForecastAdjustment.objects.create(submission=s, commit=D(60 * (i + 1)), note="n", created_by=admin)
        _submit(rep, QUARTER, 300 * (i + 1))
        customer = CustomerFactory(owner=rep, name=f"pgl客户{i}", code=f"PGW{i:04d}")
        opportunity_create(actor=rep, customer=customer, title="open", amount=str(1000 * (i + 1)), stage=proposal,
                           expected_close_on=date(2026, 6, 20))
        w = opportunity_create(actor=rep, customer=customer, title="won", amount=str(500 * (i + 1)), stage=won)
        Opportunity.objects.filter(pk=w.pk).update(closed_on=date(2026, 6, 3))


FIGURES = ("target", "members_target", "goal", "won", "commit", "adjusted_commit", "best_case", "adjusted_best_case",
           "open_weighted", "weighted", "gap", "coverage")


def test_the_cards_figures_are_the_friday_reviews(admin, team_a):
    _world(team_a, admin, 4)
    Target.objects.create(scope="company", year=2026, amount=D("1200000"), weights=[])
    reviews = director_part(user=admin, today=TODAY)["reviews"]
    assert [r.period for r in reviews] == [MONTH, QUARTER]
    for card in reviews:
        full = friday_review(user=admin, period=card.period, since=TODAY, today=TODAY)
        assert {f: getattr(card, f) for f in FIGURES} == {f: getattr(full, f) for f in FIGURES}, card.period
    month, quarter = reviews
    # 4 reps: targets 1000+2000+3000+4000 a month; commits 100..400, the 2nd and 4th adjusted to 120, 240
    assert (month.target, month.members_target, month.commit, month.adjusted_commit) == (
        D("100000.00"), D("10000.00"), D("1000.00"), D("760.00"))
    assert (month.won, month.open_weighted) == (D("5000.00"), D("5000.00"))  # proposal 50%
    assert (quarter.commit, quarter.adjusted_commit, quarter.won) == (D("3000.00"), D("3000.00"), D("5000.00"))


def test_rollup_without_pipeline_has_the_same_commits_and_targets(admin, team_a):
    _world(team_a, admin, 3)
    full, lean = rollup(user=admin, period=MONTH, today=TODAY), rollup(user=admin, period=MONTH, today=TODAY, pipeline=False)
    keys = ("reps", "missing", "adjusted", "commit", "adjusted_commit", "best_case", "adjusted_best_case", "target")
    assert {k: getattr(lean.total, k) for k in keys} == {k: getattr(full.total, k) for k in keys}
    assert full.total.won == D("3000.00") and lean.total.won == D("0.00")


def test_director_part_reads_the_reps_once(admin, team_a):
    _world(team_a, admin, 2)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            director_part(user=admin, today=TODAY)
        return ctx.captured_queries

    count()
    few = count()
    _world(team_a, admin, 8, start=2)
    many = count()
    assert len(many) == len(few)
    # the reps once; no per-rep pipeline (GROUP BY owner) of the opportunities
    users = [q["sql"] for q in many if q["sql"].startswith('SELECT "accounts_user"."id"')]
    assert len(users) == len(set(users)), users  # no read of the users twice
    assert not [q for q in many if 'FROM "sales_opportunity"' in q["sql"] and 'GROUP BY "sales_opportunity"."owner_id"' in q["sql"]]


def test_workbench_page_query_count_for_the_director(admin, team_a, login, django_assert_max_num_queries):
    _world(team_a, admin, 2)
    client = login(admin)
    url = reverse("reports:workbench")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _world(team_a, admin, 8, start=2)
    with django_assert_max_num_queries(24):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)

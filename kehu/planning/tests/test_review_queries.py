"""Issue 13 on the Friday review and the attainment page: at most 15 queries for every role and
scope on a world with several rows in every section (reps, teams, submissions, adjustments,
targets, open, won, changed and slipping deals), and the merged reads equal to the separate ones
they replace (the scope's pipeline, the waterfall's steady deals, the targets)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from factories import CustomerFactory, UserFactory
from kehu.core.models import AuditEvent
from kehu.planning.models import Target
from kehu.planning.periods import period_of
from kehu.planning.selectors.review import friday_review, waterfall
from kehu.planning.selectors.targets import target_amount, user_target_amounts
from kehu.planning.tests.test_review_selectors import adjust, stage, submit
from kehu.sales.models import Opportunity
from kehu.sales.selectors import weighted_pipeline
from kehu.sales.services import opportunity_create, opportunity_update

pytestmark = pytest.mark.django_db

REVIEW = reverse("planning:review")
ATTAINMENT = reverse("planning:attainment")
MOST = 15


@pytest.fixture
def world(admin, director, manager_a, rep_a, rep_a2, rep_b, team_a, team_b):
    """Four reps per team, each with a submission (adjusted), a target, an open deal in the
    period, a won one, a deal moved since last week and a slipping one; the teams' and the
    company's targets."""
    today = timezone.localdate()
    period = period_of("quarter", today)
    reps = [rep_a, rep_a2, rep_b]
    for i in range(5):
        reps.append(UserFactory(username=f"q{i}", role="rep", team=team_a if i % 2 else team_b))
    year = period.start.year
    Target.objects.create(scope=Target.Scope.COMPANY, year=year, measure="won", amount="900000")
    for team in (team_a, team_b):
        Target.objects.create(scope=Target.Scope.TEAM, team=team, year=year, measure="won", amount="400000")
    moves = []
    for n, rep in enumerate(reps):
        Target.objects.create(scope=Target.Scope.USER, user=rep, year=year, measure="won", amount=str(100000 + n))
        sub = submit(rep, today - timedelta(days=1), str(1000 + n), str(1500 + n), period=period)
        adjust(sub, str(900 + n), admin)
        customer = CustomerFactory(owner=rep, name=f"world {n}", code=f"QW{n:04d}")
        opportunity_create(actor=rep, customer=customer, title="open", amount=str(500 + n), stage=stage("proposal"),
                           expected_close_on=period.end)
        won = opportunity_create(actor=rep, customer=customer, title="won", amount=str(300 + n), stage=stage("won"))
        Opportunity.objects.filter(pk=won.pk).update(closed_on=period.start)
        moved = opportunity_create(actor=rep, customer=customer, title="moved", amount=str(700 + n), stage=stage("proposal"),
                                   expected_close_on=period.start)
        moves.append((rep, moved))
        slipping = opportunity_create(actor=rep, customer=customer, title="slipping", amount=str(200 + n),
                                      stage=stage("proposal"), expected_close_on=period.end)
        Opportunity.objects.filter(pk=slipping.pk).update(push_count=2 + n)
    # Made a month ago (the steady part of the waterfall), then some moved out of the period today.
    Opportunity.objects.update(created_at=timezone.now() - timedelta(days=30))
    AuditEvent.objects.update(at=timezone.now() - timedelta(days=30))
    for rep, moved in moves:
        opportunity_update(actor=rep, opportunity=moved, expected_close_on=period.end + timedelta(days=40), amount="800")
    return {"period": period, "today": today, "reps": reps}


def _get(client, url, params, django_assert_max_num_queries):
    client.get(url, params)  # warm (sessions, caches)
    with django_assert_max_num_queries(MOST):
        response = client.get(url, params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("who", ["admin", "finance", "manager_a", "director"])
def test_review_takes_at_most_15_queries_per_role(request, login, world, who, team_a, django_assert_max_num_queries):
    client = login(request.getfixturevalue(who))
    html = _get(client, REVIEW, {}, django_assert_max_num_queries).content.decode()
    assert 'data-testid="slipping"' in html and "slip-" in html
    _get(client, REVIEW, {"team": team_a.pk}, django_assert_max_num_queries)


@pytest.mark.parametrize("who", ["admin", "finance", "manager_a", "director", "rep_a"])
def test_attainment_takes_at_most_15_queries_per_role(request, login, world, who, team_a, rep_a, django_assert_max_num_queries):
    client = login(request.getfixturevalue(who))
    _get(client, ATTAINMENT, {}, django_assert_max_num_queries)
    _get(client, ATTAINMENT, {"scope": "user", "rep": rep_a.pk}, django_assert_max_num_queries)
    if who != "rep_a":
        _get(client, ATTAINMENT, {"scope": "team", "team": team_a.pk}, django_assert_max_num_queries)


def test_review_team_and_rep_asked_for_outside_the_scope_are_404(login, world, manager_a, team_b, rep_b):
    client = login(manager_a)
    assert client.get(REVIEW, {"team": team_b.pk}).status_code == 404
    assert client.get(REVIEW, {"team": "x"}).status_code == 404
    assert client.get(ATTAINMENT, {"scope": "team", "team": team_b.pk}).status_code == 404
    assert client.get(ATTAINMENT, {"scope": "user", "rep": rep_b.pk}).status_code == 404
    assert client.get(ATTAINMENT, {"scope": "user", "rep": "x"}).status_code == 404


@pytest.mark.parametrize("who", ["admin", "manager_a", "director"])
def test_merged_reads_equal_the_separate_ones(request, world, who, team_a, team_b):
    user, period, today = request.getfixturevalue(who), world["period"], world["today"]
    since = today - timedelta(days=7)
    review = friday_review(user=user, period=period, since=since, today=today)
    teams = {"admin": [], "manager_a": [team_a], "director": [team_a, team_b]}[who]
    owned = Opportunity.objects.all() if not teams else Opportunity.objects.filter(owner__team__in=teams)
    sums = weighted_pipeline(opportunities=owned, date_from=period.start, date_to=period.end)
    assert (review.won, review.open_weighted, review.weighted) == (sums.won, sums.open_weighted, sums.total)
    assert review.won > 0 and review.open_weighted > 0
    separate = waterfall(opportunities=owned, period=period, since=since)
    assert review.waterfall == separate and separate.start_count > 0 and any(b.count for b in separate.bars)
    ids = [r.user.pk for r in review.rows]
    assert len(ids) == {"admin": 8, "manager_a": 4, "director": 8}[who]
    assert {r.user.pk: r.target for r in review.rows} == user_target_amounts(user_ids=ids, period=period)
    if not teams:
        assert review.target == target_amount(scope="company", period=period)
    else:
        assert review.target == sum(target_amount(scope="team", period=period, team=t) for t in teams)
    assert review.slipping_count == len(review.slipping) == len(ids)


def test_attainment_numbers_unchanged_by_the_lists_read_once(login_en, world, manager_a, team_a):
    from kehu.planning.selectors.targets import attainment_table

    period, today = world["period"], world["today"]
    table = attainment_table(user=manager_a, scope="team", team=team_a, period=period, today=today)
    html = login_en(manager_a).get(ATTAINMENT, {"period": period.label}).content.decode()
    for row in table["reps"]:
        assert f'data-testid="rep-{row.user.pk}"' in html
    assert len(table["reps"]) == 4 and table["members_actual"] > 0

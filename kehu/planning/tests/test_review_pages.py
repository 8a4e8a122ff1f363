"""The roll-up, the adjustment and the Friday review pages (issue 11): who sees what (404),
who may adjust (403), htmx and plain posts, the waterfall table without JavaScript, query
counts, Chinese and English."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from factories import CustomerFactory, UserFactory
from kehu.planning.models import ForecastAdjustment, Target
from kehu.planning.periods import period_of
from kehu.planning.tests.test_review_selectors import adjust, stage, submit
from kehu.sales.services import opportunity_create, opportunity_update

pytestmark = pytest.mark.django_db

ROLLUP = reverse("planning:rollup")
REVIEW = reverse("planning:review")


@pytest.fixture
def period():
    return period_of("quarter", timezone.localdate())


@pytest.fixture
def sub_a(rep_a, period):
    return submit(rep_a, timezone.localdate(), "1000", "1500", period=period)


def adjust_url(sub):
    return reverse("planning:adjust", args=[sub.pk])


# --- the roll-up ------------------------------------------------------------------------------

def test_manager_sees_team_rollup_with_adjustment_beside(login, manager_a, rep_a, rep_a2, rep_b, sub_a, period):
    submit(rep_b, timezone.localdate(), "777", period=period)
    adjust(sub_a, "800", manager_a, note="客户预算推迟")
    html = login(manager_a).get(ROLLUP).content.decode()
    assert 'data-testid="rep-rep_a"' in html and 'data-testid="rep-rep_a2"' in html and "rep_b" not in html
    assert "¥1,000.00" in html and "¥800.00" in html and "客户预算推迟" in html
    assert "未提交" in html and "调整" in html  # rep_a2 missing; the adjust form


def test_rollup_other_period_and_bad_period(login, manager_a, rep_a, period):
    month = period_of("month", timezone.localdate())
    response = login(manager_a).get(ROLLUP, {"period": month.label})
    assert response.status_code == 200 and month.label in response.content.decode()
    response = login(manager_a).get(ROLLUP, {"period": "2026-13"})
    assert response.status_code == 200 and "2026-13" in response.content.decode()


def test_manager_a_cannot_see_team_b(login, manager_a, team_b):
    assert login(manager_a).get(ROLLUP, {"team": team_b.pk}).status_code == 404
    assert login(manager_a).get(REVIEW, {"team": team_b.pk}).status_code == 404


def test_rep_sees_only_their_own_row_without_adjust_form(login, rep_a, rep_a2, sub_a):
    html = login(rep_a).get(ROLLUP).content.decode()
    assert 'data-testid="rep-rep_a"' in html and "rep_a2" not in html and 'data-testid="adjust-form"' not in html


def test_rollup_query_count_is_fixed(login, admin, team_a, rep_a, sub_a, period):
    client = login(admin)
    client.get(ROLLUP)
    with CaptureQueriesContext(connection) as one:
        assert client.get(ROLLUP).status_code == 200
    for i in range(20):
        rep = UserFactory(username=f"bulk{i}", role="rep", team=team_a)
        adjust(submit(rep, timezone.localdate(), "5", period=period), "4", admin)
    with CaptureQueriesContext(connection) as many:
        assert client.get(ROLLUP).status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)


# --- the adjustment ---------------------------------------------------------------------------

def test_manager_adjusts_with_htmx_and_the_table_comes_back(login, manager_a, rep_a, sub_a):
    response = login(manager_a).post(adjust_url(sub_a), {"commit": "900", "best_case": "", "note": "保守"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="rollup-table"' in html and "保守" in html and "已保存" in html
    assert ForecastAdjustment.objects.get().commit == Decimal("900.00")


def test_manager_adjusts_without_javascript_and_comes_back(login, manager_a, sub_a, period):
    response = login(manager_a).post(adjust_url(sub_a), {"commit": "900", "note": "保守"})
    assert response.status_code == 302 and response["Location"].startswith(ROLLUP) and period.label in response["Location"]


def test_manager_bad_adjustment_is_shown_and_nothing_saved(login, manager_a, sub_a):
    response = login(manager_a).post(adjust_url(sub_a), {"commit": "-5", "note": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert not ForecastAdjustment.objects.exists()


def test_rep_b_gets_404_adjusting_rep_as_submission(login, rep_b, sub_a):
    assert login(rep_b).post(adjust_url(sub_a), {"commit": "1", "note": "x"}).status_code == 404
    assert login(rep_b).post(reverse("planning:adjust", args=[999999]), {"commit": "1", "note": "x"}).status_code == 404


def test_rep_and_finance_cannot_adjust(login, rep_a, finance, sub_a):
    assert login(rep_a).post(adjust_url(sub_a), {"commit": "1", "note": "x"}).status_code == 403
    assert login(finance).post(adjust_url(sub_a), {"commit": "1", "note": "x"}).status_code == 403
    assert not ForecastAdjustment.objects.exists()


def test_adjust_is_post_only(login, manager_a, sub_a):
    assert login(manager_a).get(adjust_url(sub_a)).status_code == 405


# --- the Friday review ------------------------------------------------------------------------

def test_director_reads_kpis_waterfall_and_slipping(login, admin, rep_a, customer_a, sub_a, period):
    Target.objects.create(scope="company", year=period.start.year, amount=Decimal("1200000"), weights=[])
    opp = opportunity_create(actor=rep_a, customer=customer_a, title="滑单项目", amount="5000", stage=stage("proposal"),
                             expected_close_on=period.start - timedelta(days=62))
    opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=period.start - timedelta(days=20))
    opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=period.end)
    html = login(admin).get(REVIEW).content.decode()
    for testid in ("kpi-target", "kpi-won", "kpi-commit", "kpi-best-case", "kpi-weighted", "kpi-gap", "kpi-coverage",
                   "waterfall-chart", "wf-start", "wf-pulled_in", "wf-end", 'slip-'):
        assert testid in html
    assert reverse("sales:opportunity-detail", args=[opp.pk]) in html and "滑单项目" in html
    assert 'id="waterfall-data"' in html and "review-waterfall.js" in html and "<script>" not in html
    assert "¥300,000.00" in html  # the quarter's target


def test_manager_reviews_their_team(login, manager_a, rep_a, rep_b, team_a):
    html = login(manager_a).get(REVIEW).content.decode()
    assert "Team A" in html and 'data-testid="rep-rep_a"' in html and "rep_b" not in html


def test_finance_reads_the_review(login, finance, rep_a):
    assert login(finance).get(REVIEW).status_code == 200


def test_rep_may_not_read_the_review(login, rep_a, team_a):
    assert login(rep_a).get(REVIEW).status_code == 403
    assert login(rep_a).get(REVIEW, {"team": team_a.pk}).status_code == 404


def test_review_since_in_the_future_or_malformed_still_answers(login, admin, rep_a):
    for since in ("2099-01-01", "x", "2026-02-30"):
        assert login(admin).get(REVIEW, {"since": since}).status_code == 200


def test_review_in_english(login_en, admin, rep_a, sub_a):
    html = login_en(admin).get(REVIEW).content.decode()
    assert "Friday review" in html and "Coverage" in html and "Pushed out" in html and "Slipping deals" in html
    html = login_en(admin).get(ROLLUP).content.decode()
    assert "Forecast roll-up" in html and "Team total" in html


def test_review_in_chinese(login, admin, rep_a, sub_a):
    html = login(admin).get(REVIEW).content.decode()
    assert "周五" in html and "缺口" in html and "推迟" in html


def test_review_query_count_is_fixed(login, admin, team_a, rep_a, sub_a, period):
    client = login(admin)
    client.get(REVIEW)
    with CaptureQueriesContext(connection) as one:
        assert client.get(REVIEW).status_code == 200
    for i in range(20):
        rep = UserFactory(username=f"bulk{i}", role="rep", team=team_a)
        adjust(submit(rep, timezone.localdate(), "5", period=period), "4", admin)
        customer = CustomerFactory(owner=rep, name=f"c{i}", code=f"CB{i:04d}")
        opp = opportunity_create(actor=rep, customer=customer, title="x", amount="10", expected_close_on=period.start)
        opportunity_update(actor=rep, opportunity=opp, expected_close_on=period.end)
    with CaptureQueriesContext(connection) as many:
        assert client.get(REVIEW).status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)

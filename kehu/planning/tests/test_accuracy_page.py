"""The forecast accuracy page (planning:accuracy): who sees which rows, the choices, the chart
data under the CSP, the query count, Chinese and English."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from factories import UserFactory
from kehu.planning.periods import period_of
from kehu.planning.tests.accuracy_helpers import submit, won

pytestmark = pytest.mark.django_db
URL = reverse("planning:accuracy")


def _last_quarter():
    return period_of("quarter", timezone.localdate()).previous()


@pytest.fixture
def numbers(rep_a, rep_a2, rep_b, customer_a, customer_b):
    q = _last_quarter()
    submit(rep_a, q.label, q.end - timedelta(days=40), "800.00")
    won(customer_a, rep_a, "1000.00", q.end - timedelta(days=3))  # accuracy 0.8, bias −0.2
    submit(rep_b, q.label, q.end - timedelta(days=40), "50.00")
    return q


def _rep_groups(response):
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('data-rep="')[1:]]


def test_rep_sees_only_their_own_row(login, rep_a, numbers):
    response = login(rep_a).get(URL)
    assert response.status_code == 200
    assert _rep_groups(response) == ["rep_a"]
    html = response.content.decode()
    assert "80.00%" in html and "-20.00%" in html and "¥800.00" in html and "¥1,000.00" in html


def test_rep_b_gets_404_for_rep_as_row_by_id(login, rep_a, rep_b, numbers):
    assert login(rep_b).get(URL, {"rep": rep_a.pk}).status_code == 404
    assert login(rep_b).get(URL, {"rep": "nope"}).status_code == 404
    response = login(rep_b).get(URL)
    assert _rep_groups(response) == ["rep_b"]
    assert "rep_a" not in response.content.decode()


def test_manager_sees_their_teams_and_director_and_finance_everyone(login, manager_a, admin, finance, rep_a, rep_b, numbers):
    assert _rep_groups(login(manager_a).get(URL)) == ["rep_a"]
    assert login(manager_a).get(URL, {"rep": rep_b.pk}).status_code == 404
    assert _rep_groups(login(admin).get(URL)) == ["rep_a", "rep_b"]
    assert _rep_groups(login(finance).get(URL)) == ["rep_a", "rep_b"]
    assert _rep_groups(login(admin).get(URL, {"rep": rep_b.pk})) == ["rep_b"]


def test_rep_without_numbers_sees_the_empty_state(login, rep_a2, numbers):
    response = login(rep_a2).get(URL)
    assert 'data-testid="accuracy-empty"' in response.content.decode()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302


def test_director_chooses_months_lead_time_and_period_count(login, admin, rep_a, customer_a):
    today = timezone.localdate()
    month = period_of("month", today).previous()
    submit(rep_a, month.label, month.end - timedelta(days=7), "90.00")
    won(customer_a, rep_a, "100.00", month.end)
    response = login(admin).get(URL, {"kind": "month", "lead_days": "7", "count": "2"})
    history = response.context["history"]
    assert [p.label for p in history.periods] == [month.previous().label, month.label]
    assert str(history.reps[0].cells[1].accuracy) == "0.9000"
    # the chart's data is JSON under the CSP (no inline script), values as decimal strings
    html = response.content.decode()
    assert '<script id="accuracy-data" type="application/json">' in html
    data = response.context["chart"]
    assert data["periods"] == [month.previous().label, month.label]
    assert data["reps"][0]["accuracy"] == [None, "0.9000"] and data["reps"][0]["bias"] == [None, "-0.1000"]
    assert "kehu/accuracy-chart.js" in html and "<script>" not in html


def test_director_with_bad_choices_gets_the_defaults(login, admin, numbers):
    response = login(admin).get(URL, {"kind": "year", "lead_days": "-3", "count": "99"})
    assert response.status_code == 200
    assert response.context["values"] == {"kind": "quarter", "lead_days": 28, "count": 4}
    assert 'role="alert"' in response.content.decode()
    response = login(admin).get(URL, {"kind": "month", "lead_days": "x", "count": "2"})
    assert response.context["values"] == {"kind": "month", "lead_days": 28, "count": 2}


def test_page_reads_in_chinese_and_english(login, login_en, admin, numbers):
    zh = login(admin).get(URL).content.decode()
    assert "预测准确率" in zh and "偏差" in zh and "有值各期的平均" in zh
    en = login_en(admin).get(URL).content.decode()
    assert "Forecast accuracy" in en and "Bias" in en and "Mean over the periods with a value" in en


def test_director_page_query_count_is_the_same_for_1_and_20_reps(login, admin):
    from kehu.accounts.models import Team
    from conftest import make_customer

    q = _last_quarter()
    client = login(admin)
    counts = []
    for n in (1, 20):
        team = Team.objects.create(name=f"T{n}")
        for i in range(n):
            rep = UserFactory(username=f"r{n}_{i}", role="rep", team=team)
            customer = make_customer(rep, f"客户{n}-{i}", f"C{n:02d}{i:03d}")
            submit(rep, q.label, q.start, "10.00")
            won(customer, rep, "12.00", q.start + timedelta(days=3))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]

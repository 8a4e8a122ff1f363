"""Forecast accuracy per rep (DOMAIN.md §7): the selector, `kehu forecast accuracy` against the
example's expected files, who appears, who sees whom, and the query counts."""

import json
from datetime import date

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from factories import UserFactory
from kehu.planning.selectors.accuracy import accuracy_history, forecast_accuracy
from kehu.planning.tests.accuracy_helpers import EXPECTED, import_example, run_command, submit, won

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("period,lead", [("2026-Q2", 28), ("2026-Q2", 7), ("2026-06", 7)])
def test_system_command_json_equals_the_expected_file(period, lead):
    report = import_example()
    assert report["created"]["forecasts.csv"] == 85 and report["errors"] == []
    out = run_command("forecast", "accuracy", period, "--lead-days", lead, "--json")
    expected = json.loads((EXPECTED / f"forecast-accuracy-{period}-{lead}.json").read_text(encoding="utf-8"))
    assert json.loads(out) == expected
    # the same document, key order and number formatting included
    assert out.strip() == (EXPECTED / f"forecast-accuracy-{period}-{lead}.json").read_text(encoding="utf-8").strip()


def test_system_command_default_lead_time_is_28_days():
    import_example()
    assert json.loads(run_command("forecast", "accuracy", "2026-Q2", "--json"))["lead_days"] == 28


def test_system_command_prints_a_readable_table_in_chinese_and_english():
    import_example()
    with translation.override("zh-hans"):
        zh = run_command("forecast", "accuracy", "2026-Q2")
    with translation.override("en"):
        en = run_command("forecast", "accuracy", "2026-Q2")
    assert "预测准确率" in zh and "准确率" in zh and "96.63%" in zh and "-3.37%" in zh
    assert "Forecast accuracy 2026-Q2" in en and "2026-06-02" in en
    assert "Accuracy" in en and "¥630,047.94" in en and "—" in en
    assert [line.split()[0] for line in en.splitlines()[2:]] == ["rep1", "rep2", "rep3"]


def test_system_command_refuses_a_bad_period_and_lead_time():
    with translation.override("en"):
        for args in (["2026-13"], ["2026"], ["2026-W05"], ["2026-Q2", "--lead-days", "-1"]):
            with pytest.raises(CommandError) as exc:
                run_command("forecast", "accuracy", *args)
            assert exc.value.returncode == 2


def test_system_forecast_is_null_when_the_only_submission_came_after_the_cutoff(rep_a, customer_a):
    submit(rep_a, "2026-06", date(2026, 6, 25), "100.00")  # after the cut-off 2026-06-02
    [row] = forecast_accuracy(period="2026-06", lead_days=28)
    assert (row.username, row.forecast, row.actual, row.accuracy, row.bias) == ("rep_a", None, 0, None, None)
    assert row.as_json() == {"user": "rep_a", "forecast": None, "actual": "0.00", "accuracy": None, "bias": None}


def test_system_equal_dates_take_the_submission_recorded_last(rep_a, customer_a):
    first = submit(rep_a, "2026-06", date(2026, 6, 1), "100.00")
    second = submit(rep_a, "2026-06", date(2026, 6, 1), "200.00")
    assert second.recorded_at >= first.recorded_at
    won(customer_a, rep_a, "250.00", date(2026, 6, 15))
    [row] = forecast_accuracy(period="2026-06")
    assert (row.forecast, row.actual, str(row.accuracy), str(row.bias)) == (200, 250, "0.8000", "-0.2000")


def test_system_lists_reps_with_a_won_amount_or_a_submission_only(rep_a, rep_a2, rep_b, manager_a, customer_a, customer_b):
    won(customer_b, rep_b, "80.00", date(2026, 6, 30))  # last day counts
    won(customer_a, rep_a, "50.00", date(2026, 7, 1))  # next month: not in P
    won(customer_a, manager_a, "70.00", date(2026, 6, 3))  # not a rep
    submit(rep_a2, "2026-Q2", date(2026, 5, 1), "10.00")  # another period
    rows = forecast_accuracy(period="2026-06")
    assert [(r.username, r.forecast, str(r.actual)) for r in rows] == [("rep_b", None, "80.00")]


def test_system_reps_are_listed_by_username(rep_a, rep_a2, rep_b):
    for rep in (rep_b, rep_a2, rep_a):
        submit(rep, "2026-Q2", date(2026, 5, 1), "10.00")
    assert [r.username for r in forecast_accuracy(period="2026-Q2")] == ["rep_a", "rep_a2", "rep_b"]


def test_rep_b_does_not_see_rep_as_row(rep_a, rep_b, customer_a, customer_b):
    submit(rep_a, "2026-Q2", date(2026, 5, 1), "10.00")
    submit(rep_b, "2026-Q2", date(2026, 5, 1), "20.00")
    won(customer_a, rep_a, "10.00", date(2026, 5, 5))
    assert [r.username for r in forecast_accuracy(period="2026-Q2", user=rep_b)] == ["rep_b"]


def test_manager_sees_their_teams_reps_and_director_and_finance_everyone(rep_a, rep_a2, rep_b, manager_a, admin, finance):
    for rep in (rep_a, rep_a2, rep_b):
        submit(rep, "2026-Q2", date(2026, 5, 1), "10.00")
    assert [r.username for r in forecast_accuracy(period="2026-Q2", user=manager_a)] == ["rep_a", "rep_a2"]
    assert [r.username for r in forecast_accuracy(period="2026-Q2", user=admin)] == ["rep_a", "rep_a2", "rep_b"]
    assert [r.username for r in forecast_accuracy(period="2026-Q2", user=finance)] == ["rep_a", "rep_a2", "rep_b"]


def test_system_history_covers_the_last_closed_periods_with_means(rep_a, customer_a):
    submit(rep_a, "2026-Q1", date(2026, 2, 1), "100.00")
    won(customer_a, rep_a, "80.00", date(2026, 3, 1))  # Q1: accuracy 0.75, bias 0.25
    submit(rep_a, "2026-Q2", date(2026, 5, 1), "100.00")
    won(customer_a, rep_a, "100.00", date(2026, 6, 1))  # Q2: 1, 0
    history = accuracy_history(user=rep_a, kind="quarter", count=4, lead_days=28, today=date(2026, 7, 15))
    assert [p.label for p in history.periods] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    [rep] = history.reps
    assert [c.accuracy if c else None for c in rep.cells] == [None, None, 75 / 100, 1]
    assert (str(rep.mean_accuracy), str(rep.mean_bias)) == ("0.8750", "0.1250")
    assert history.chart()["reps"][0]["accuracy"] == [None, None, "0.7500", "1.0000"]
    months = accuracy_history(user=rep_a, kind="month", count=2, lead_days=7, today=date(2026, 7, 1))
    assert [p.label for p in months.periods] == ["2026-05", "2026-06"]


def _reps(n):
    from kehu.accounts.models import Team

    team = Team.objects.create(name=f"T{n}")
    return [UserFactory(username=f"r{n}_{i}", role="rep", team=team) for i in range(n)]


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_system_query_count_is_the_same_for_1_and_20_reps(admin):
    from kehu.customers.models import Customer
    from conftest import make_customer

    counts = []
    for n in (1, 20):
        for i, rep in enumerate(_reps(n)):
            customer = make_customer(rep, f"客户{n}-{i}", f"C{n:02d}{i:03d}")
            submit(rep, "2026-Q2", date(2026, 5, 1), "10.00")
            submit(rep, "2026-05", date(2026, 4, 1), "10.00")
            won(customer, rep, "12.00", date(2026, 5, 20))
        admin = type(admin).objects.get(pk=admin.pk)
        counts.append((
            _count(lambda: forecast_accuracy(period="2026-Q2")),
            _count(lambda: forecast_accuracy(period="2026-Q2", user=admin)),
            _count(lambda: accuracy_history(user=admin, kind="month", count=4, lead_days=28, today=date(2026, 7, 1))),
        ))
        Customer.objects.all().delete()
    assert counts[0] == counts[1]
    assert counts[0] == (3, 3, 3)  # the latest commits of every period, the won of every period, the users

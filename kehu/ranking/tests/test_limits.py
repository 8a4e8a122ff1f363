"""Limits that keep a run meaningful and the pages up: no run as of a future date, bounded
parameters, the run list's company-wide sizes for those who see every customer, a broken
daily step does not stop the others."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from kehu.core.hooks import DailyStep
from kehu.customers.management.commands import daily
from kehu.ranking.models import EvaluationRun, RankingSettings
from kehu.ranking.errors import RankingError
from kehu.ranking.params import resolve_params
from kehu.ranking.services import evaluation_run


@pytest.mark.django_db
def test_a_run_as_of_a_future_date_is_refused_and_nothing_is_stored():
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(RankingError, match="future"):
        evaluation_run(actor=None, model="pyramid", as_of=tomorrow)
    with pytest.raises(RankingError, match="2000"):
        evaluation_run(actor=None, model="pyramid", as_of=date(1, 1, 1))
    assert not EvaluationRun.objects.exists()
    assert evaluation_run(actor=None, model="pyramid", as_of=timezone.localdate()).pk


def test_the_run_form_says_why_a_future_date_is_refused(client, login, director):
    login(director)
    future = timezone.localdate() + timedelta(days=400)
    response = client.post(reverse("ranking:run-create"), {"model": "key_account", "as_of": future.isoformat(), "window_months": "12"})
    assert response.status_code == 200 and "in the future" in response.content.decode()
    assert not EvaluationRun.objects.exists()


@pytest.mark.parametrize("value", ["1e99999999", "1e999999", "1000000001", "0.0000001", "9" * 50])
def test_parameters_are_bounded(value):
    with pytest.raises(RankingError):
        resolve_params("value", {"w_sales": value})


def test_a_huge_parameter_on_the_settings_page_is_a_form_error_not_a_500(client, login, admin):
    login(admin)
    response = client.post(reverse("ranking:settings"), {"model": "value", "value-p_w_sales": "1e99999999", "value-window_months": "12",
                                                         "value-every_months": "1"})
    assert response.status_code == 200
    assert RankingSettings.objects.filter(model="value").first() is None or "w_sales" not in RankingSettings.load("value").params


def test_the_run_list_shows_company_wide_sizes_only_to_those_who_see_everyone(client, login, admin, rep_a):
    run = evaluation_run(actor=None, model="pyramid", as_of=timezone.localdate())
    EvaluationRun.objects.filter(pk=run.pk).update(result_count=4321)
    login(admin)
    assert "4321" in client.get(reverse("ranking:run-list")).content.decode()
    login(rep_a)
    assert "4321" not in client.get(reverse("ranking:run-list")).content.decode()


def test_a_page_number_past_any_database_integer_is_not_a_500(client, login, admin):
    login(admin)
    assert client.get(reverse("ranking:value"), {"page": "9" * 30}).status_code == 200
    assert client.get(reverse("customers:list"), {"page": "9" * 30}).status_code == 200


def test_a_failing_daily_step_does_not_stop_the_others(monkeypatch, db):
    seen = []

    def broken(*, now):
        raise RuntimeError("boom")

    def after(*, now):
        seen.append(now)
        return 1

    monkeypatch.setattr(daily, "daily_steps", lambda: [DailyStep("broken", "Broken", broken), DailyStep("after", "After", after)])
    out = StringIO()
    with pytest.raises(CommandError, match="broken"):
        call_command("daily", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"broken": None, "after": 1} and len(seen) == 1

"""The run pages: list, new run (admins and managers only), detail, comparison and exports."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.ranking.models import EvaluationRun
from kehu.ranking.selectors import runs_compare
from kehu.ranking.services import evaluation_run

AS_OF = date(2026, 6, 30)
BEFORE = date(2025, 6, 30)


@pytest.fixture
def pair(example_loaded):
    """Two pyramid runs a year apart with at least one promotion between them."""
    before = evaluation_run(actor=None, model="pyramid", as_of=BEFORE)
    after = evaluation_run(actor=None, model="pyramid", as_of=AS_OF)
    diff = runs_compare(before, after)
    assert diff["promoted"], "the example should promote someone between the two dates"
    return before, after, diff


def _xlsx(response):
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


# ---------------------------------------------------------------------------- new run


@pytest.mark.parametrize("who", ["rep_a", "finance"])
def test_run_create_is_refused_to_reps_and_finance(client, login, who, request, example_loaded):
    login(request.getfixturevalue(who))
    assert client.get(reverse("ranking:run-create")).status_code == 403
    response = client.post(reverse("ranking:run-create"), {"model": "pyramid", "as_of": "2026-06-30", "window_months": "12"})
    assert response.status_code == 403
    assert not EvaluationRun.objects.exists()
    html = client.get(reverse("ranking:run-list")).content.decode()
    assert 'data-testid="run-new"' not in html


@pytest.mark.parametrize("who", ["director", "admin"])
def test_run_create_works_for_director_and_admin(client, login, who, request, example_loaded, expected):
    user = request.getfixturevalue(who)
    login(user)
    response = client.get(reverse("ranking:run-create"), {"model": "key_account"})
    assert response.status_code == 200
    assert response.context["form"]["model"].value() == "key_account"
    assert response.context["form"]["window_months"].value() == 12
    assert "Running… large books take a minute." in response.content.decode()
    response = client.post(reverse("ranking:run-create"), {"model": "pyramid", "as_of": "2026-06-30", "window_months": "12"})
    # The run is a background job (bgjobs): its page, then the worker runs it.
    from kehu.core.jobs import job_run
    from kehu.core.models import Job

    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.kind == "evaluation" and job.user == user
    assert not EvaluationRun.objects.exists()
    assert job_run(job.pk) == Job.State.DONE
    run = EvaluationRun.objects.get()
    assert run.started_by == user and run.model == "pyramid" and run.as_of == AS_OF
    assert run.results.count() == len(expected("pyramid")["results"])
    html = client.get(response.url).content.decode()
    assert f"Evaluation run #{run.pk}" in html and reverse("ranking:run-detail", args=[run.pk]) in html


def test_run_create_form_errors_are_shown_and_nothing_is_made(client, login, admin, example_loaded):
    login(admin)
    response = client.post(reverse("ranking:run-create"), {"model": "pyramid", "as_of": "not a date", "window_months": "500"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"as_of", "window_months"}
    assert not EvaluationRun.objects.exists()


def test_run_create_service_error_becomes_a_form_error(client, login, admin, example_loaded, monkeypatch):
    from kehu.ranking.errors import RankingError
    from kehu.ranking.views import runs as views_runs

    def refuse(**kwargs):
        raise RankingError("Parameter “x” must not be negative.")

    monkeypatch.setattr(views_runs, "evaluation_run", refuse)
    login(admin)
    response = client.post(reverse("ranking:run-create"), {"model": "value", "as_of": "2026-06-30", "window_months": "12"})
    assert response.status_code == 200
    assert "must not be negative" in response.content.decode()


# ---------------------------------------------------------------------------- list and detail


def test_run_list_shows_runs_filtered_by_model(client, login, rep_a, admin, pair):
    before, after, _diff = pair
    value = evaluation_run(actor=admin, model="value", as_of=AS_OF)
    login(rep_a)
    response = client.get(reverse("ranking:run-list"))
    html = response.content.decode()
    assert [r.pk for r in response.context["page"].rows] == [value.pk, after.pk, before.pk]
    assert "schedule" in html and "admin" in html
    response = client.get(reverse("ranking:run-list"), {"model": "value"})
    assert [r.pk for r in response.context["page"].rows] == [value.pk]
    assert response.context["page"].rows[0].result_count == value.results.count()


def test_run_detail_is_scoped_and_filters_by_class(client, login, rep_a, rep_b, pair, django_assert_max_num_queries):
    _before, run, _diff = pair
    Customer.objects.update(owner=rep_b)
    mine = list(run.results.filter(klass="small").values_list("customer__code", flat=True)[:2])
    Customer.objects.filter(code__in=mine).update(owner=rep_a)
    login(rep_a)
    client.get(reverse("ranking:run-detail", args=[run.pk]))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("ranking:run-detail", args=[run.pk]))
    assert response.status_code == 200
    assert sorted(r["customer"].code for r in response.context["page"].rows) == sorted(mine)
    html = response.content.decode()
    assert "Covers the 2 customers you can see" in html and "important" in html  # params shown
    response = client.get(reverse("ranking:run-detail", args=[run.pk]), {"class": "important"})
    assert response.context["page"].rows == []
    book = _xlsx(client.get(reverse("ranking:run-export", args=[run.pk])))
    assert sorted(row[0] for row in list(book["Results"].iter_rows(values_only=True))[1:]) == sorted(mine)


def test_unknown_run_is_404(client, login, admin, db):
    login(admin)
    assert client.get(reverse("ranking:run-detail", args=[999])).status_code == 404
    assert client.get(reverse("ranking:run-compare", args=[999])).status_code == 404
    assert client.get(reverse("ranking:run-export", args=[999])).status_code == 404


# ---------------------------------------------------------------------------- compare


def test_compare_defaults_to_the_previous_run_of_the_model(client, login, admin, pair):
    before, after, _diff = pair
    evaluation_run(actor=None, model="value", as_of=AS_OF)  # another model, later id: not a candidate
    login(admin)
    response = client.get(reverse("ranking:run-compare", args=[after.pk]))
    assert response.status_code == 200 and response.context["before"] == before
    response = client.get(reverse("ranking:run-compare", args=[before.pk]))
    assert response.context["before"] is None
    assert 'data-testid="no-previous"' in response.content.decode()


def test_compare_shows_a_promoted_customer_with_indicator_changes(client, login, admin, pair, django_assert_max_num_queries):
    before, after, diff = pair
    move = diff["promoted"][0]
    login(admin)
    client.get(reverse("ranking:run-compare", args=[after.pk]))
    with django_assert_max_num_queries(13):
        response = client.get(reverse("ranking:run-compare", args=[after.pk]), {"with": before.pk})
    assert response.status_code == 200
    row = next(r for r in response.context["diff"]["promoted"] if r["customer"].code == move["customer"])
    assert str(row["from"]).lower() == move["from"] and str(row["to"]).lower() == move["to"]
    old = before.results.get(customer__code=move["customer"]).indicators
    new = after.results.get(customer__code=move["customer"]).indicators
    assert [(c["name"], c["before"], c["after"]) for c in row["changes"]] == [
        ("sales", type(c["before"])(old["sales"]), type(c["after"])(new["sales"])) for c in row["changes"][:1]
    ] + [("profit", row["changes"][1]["before"], row["changes"][1]["after"])]
    assert str(row["changes"][1]["before"]) == str(old["profit"]) and str(row["changes"][1]["after"]) == str(new["profit"])
    html = response.content.decode()
    assert f'data-testid="promoted-{move["customer"]}"' in html
    assert response.context["diff"]["totals"]["promoted"] == len(diff["promoted"])


def test_compare_is_scoped_to_visible_customers_and_export_too(client, login, rep_a, rep_b, pair):
    before, after, diff = pair
    move = diff["promoted"][0]
    Customer.objects.update(owner=rep_b)
    Customer.objects.filter(code=move["customer"]).update(owner=rep_a)
    login(rep_a)
    response = client.get(reverse("ranking:run-compare", args=[after.pk]))
    d = response.context["diff"]
    shown = [r["customer"].code for key in ("entered", "left", "promoted", "demoted") for r in d[key]]
    assert shown == [move["customer"]]
    book = _xlsx(client.get(reverse("ranking:run-compare-export", args=[after.pk]), {"with": before.pk}))
    rows = list(book["Changes"].iter_rows(values_only=True))[1:]
    assert rows and {row[1] for row in rows} == {move["customer"]}
    assert {row[0] for row in rows} == {"Promoted"}


def test_compare_with_a_run_of_another_model_is_a_message_not_a_500(client, login, admin, pair):
    _before, after, _diff = pair
    value = evaluation_run(actor=None, model="value", as_of=AS_OF)
    login(admin)
    response = client.get(reverse("ranking:run-compare", args=[after.pk]), {"with": value.pk})
    assert response.status_code == 400
    assert "use different models and cannot be compared" in response.content.decode()
    response = client.get(reverse("ranking:run-compare", args=[after.pk]), {"with": "abc"})
    assert response.status_code == 400
    response = client.get(reverse("ranking:run-compare-export", args=[after.pk]), {"with": value.pk}, follow=True)
    assert response.redirect_chain == [(reverse("ranking:run-compare", args=[after.pk]), 302)]
    assert "cannot be compared" in response.content.decode()  # the message, on the default comparison



def test_director_in_chinese_gets_an_iso_as_of_date(client, director, db):
    """Issue 10 item 13: every 立即评估 button opens this form; `<input type=date>` only takes an
    ISO value, so the localized 2026/12/06 left the field empty in Chinese."""
    import re

    from django.utils import timezone, translation

    director.language = "zh-hans"
    director.save(update_fields=["language"])
    client.force_login(director)
    with translation.override("zh-hans"):
        html = client.get(reverse("ranking:run-create"), {"model": "value"}).content.decode()
    assert '<html lang="zh-hans">' in html
    field = re.search(r'<input[^>]*name="as_of"[^>]*>', html).group(0)
    assert 'type="date"' in field
    assert f'value="{timezone.localdate().isoformat()}"' in field
    assert re.search(r'value="\d{4}-\d{2}-\d{2}"', field)


@pytest.mark.parametrize("as_of", ["1999-12-31", "9999-12-31"])
def test_admin_as_of_out_of_range_is_a_form_error(client, login, admin, db, as_of):
    login(admin)
    response = client.post(reverse("ranking:run-create"), {"model": "pyramid", "as_of": as_of, "window_months": "12"})
    assert response.status_code == 200
    assert "as_of" in response.context["form"].errors
    assert not EvaluationRun.objects.exists()

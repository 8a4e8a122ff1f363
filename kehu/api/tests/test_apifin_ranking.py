"""Ranking runs API (kehu/api/ranking.py): runs company-wide, rows scoped, start for admins and managers."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.accounts.tokens import access_token_create
from kehu.ranking.models import EvaluationResult, EvaluationRun

D = Decimal


@pytest.fixture
def run(cast, director, customer_a, customer_a2, customer_b, pool_customer):
    older = EvaluationRun.objects.create(model="pyramid", as_of=date(2025, 6, 30), result_count=0)
    run = EvaluationRun.objects.create(model="pyramid", as_of=date(2026, 6, 30), started_by=director, result_count=4,
                                       params={"top_share": "0.01"})
    rows = [(customer_a, 1, "important", "600.00", "300.00"), (customer_b, 2, "major", "300.00", "100.00"),
            (customer_a2, 3, "ordinary", "100.00", "100.00"), (pool_customer, None, "small", None, None)]
    for position, (customer, rank, klass, sales, profit) in enumerate(rows, start=1):
        EvaluationResult.objects.create(
            run=run, customer=customer, position=position, rank=rank, klass=klass, score=None if rank is None else D("0.5000"),
            sales=None if sales is None else D(sales), profit=None if profit is None else D(profit),
            indicators={} if sales is None else {"sales": D(sales), "profit": D(profit)},
        )
    run.older = older
    return run


def test_director_lists_runs_newest_first(api, director, run):
    body = api(director).get("/api/ranking-runs/").json()
    assert [r["id"] for r in body["results"]] == [run.pk, run.older.pk]
    assert body["results"][0]["started_by"] == director.pk and body["results"][1]["started_by"] is None


def test_rep_lists_runs_of_a_model(api, rep_b, run):
    assert api(rep_b).get("/api/ranking-runs/", {"model": "value"}).json()["results"] == []
    assert api(rep_b).get("/api/ranking-runs/", {"model": "bogus"}).status_code == 400


def test_director_reads_the_class_table(api, director, run):
    body = api(director).get(f"/api/ranking-runs/{run.pk}/").json()
    assert (body["count"], body["sales"], body["profit"], body["covers"], body["currency"]) == (4, "1000.00", "500.00", 4, "CNY")
    assert body["previous_run"] == run.older.pk
    table = {r["klass"]: (r["count"], r["count_share"], r["sales"], r["profit"], r["profit_share"]) for r in body["classes"]}
    assert table["important"] == (1, "0.2500", "600.00", "300.00", "0.6000")
    assert table["small"] == (1, "0.2500", "0.00", "0.00", "0.0000")


def test_rep_sees_the_run_but_only_their_customers_and_the_pool(api, rep_a, run, customer_a, pool_customer):
    client = api(rep_a)
    body = client.get(f"/api/ranking-runs/{run.pk}/").json()
    assert (body["count"], body["sales"], body["covers"]) == (2, "600.00", 2)
    results = client.get(f"/api/ranking-runs/{run.pk}/results/").json()
    assert [r["customer"] for r in results["results"]] == [customer_a.pk, pool_customer.pk]
    first = results["results"][0]
    assert (first["rank"], first["klass"], first["sales"], first["indicators"]) == (1, "important", "600.00", {"sales": "600.00", "profit": "300.00"})
    assert results["results"][1]["rank"] is None and results["results"][1]["sales"] is None


def test_manager_filters_results_by_class(api, manager_a, run, customer_a2):
    client = api(manager_a)
    body = client.get(f"/api/ranking-runs/{run.pk}/results/", {"class": "ordinary"}).json()
    assert [r["customer"] for r in body["results"]] == [customer_a2.pk] and body["count"] == 1
    response = client.get(f"/api/ranking-runs/{run.pk}/results/", {"class": "key"})  # a class of another model
    assert response.status_code == 400 and "class" in response.json()["error"]["fields"]


def test_rep_gets_404_for_a_missing_run(api, rep_a, run):
    assert api(rep_a).get("/api/ranking-runs/999999/").status_code == 404
    assert api(rep_a).get("/api/ranking-runs/999999/results/").status_code == 404
    assert api(rep_a).get("/api/ranking-runs/-1/").status_code == 404


def test_results_are_paged(api, director, run):
    body = api(director).get(f"/api/ranking-runs/{run.pk}/results/", {"limit": 3}).json()
    assert len(body["results"]) == 3 and body["count"] == 4 and body["next"]


@pytest.mark.parametrize("who", ["rep_a", "finance"])
def test_rep_and_finance_may_not_start_a_run(api, who, request, cast):
    response = api(request.getfixturevalue(who)).post("/api/ranking-runs/", {"model": "pyramid", "as_of": "2026-06-30"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert not EvaluationRun.objects.exists()


def test_director_starts_a_run_through_the_service(api, director, cast):
    as_of = timezone.localdate() - timedelta(days=1)
    response = api(director).post("/api/ranking-runs/", {"model": "value", "as_of": as_of.isoformat(), "window_months": 6}, format="json")
    assert response.status_code == 201, response.json()
    run = EvaluationRun.objects.get()
    body = response.json()
    assert (body["id"], body["model"], body["window_months"], body["started_by"]) == (run.pk, "value", 6, director.pk)
    assert body["count"] == run.results.count()


@pytest.mark.parametrize("payload, field", [
    ({"model": "bogus", "as_of": "2026-06-30"}, "model"), ({"model": "pyramid"}, "as_of"),
    ({"model": "pyramid", "as_of": "2026-06-30", "window_months": 500}, "window_months"),
])
def test_manager_bad_run_request_is_400_and_makes_nothing(api, manager_a, cast, payload, field):
    response = api(manager_a).post("/api/ranking-runs/", payload, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not EvaluationRun.objects.exists()


def test_manager_future_as_of_breaks_the_services_rule(api, manager_a, cast):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = api(manager_a).post("/api/ranking-runs/", {"model": "pyramid", "as_of": tomorrow.isoformat()}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "rule_violated"
    assert not EvaluationRun.objects.exists()


def test_read_only_token_of_the_director_gets_403_on_start(client, director, cast):
    _token, raw = access_token_create(actor=director, name="r", scope="read")
    response = client.post("/api/ranking-runs/", {"model": "pyramid", "as_of": "2026-06-30"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert not EvaluationRun.objects.exists()


def test_run_queries_are_bounded(api, rep_a, run, django_assert_max_num_queries):
    client = api(rep_a)
    with django_assert_max_num_queries(12):
        client.get(f"/api/ranking-runs/{run.pk}/")
    with django_assert_max_num_queries(12):
        client.get(f"/api/ranking-runs/{run.pk}/results/")

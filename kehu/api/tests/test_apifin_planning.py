"""Targets and forecasts API (kehu/api/planning.py): the planning pages' scope, rights and services."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.accounts.tokens import access_token_create
from kehu.planning.models import ForecastSubmission, Target
from kehu.planning.periods import forecast_periods

D = Decimal


@pytest.fixture
def targets(cast, team_a, rep_a, rep_a2, rep_b):
    return {
        "company": Target.objects.create(scope="company", year=2026, amount=D("1200.00")),
        "team_a": Target.objects.create(scope="team", team=team_a, year=2026, amount=D("600.00")),
        "rep_a": Target.objects.create(scope="user", user=rep_a, year=2026, amount=D("100.00"), weights=["2"] + ["1"] * 11),
        "rep_a2": Target.objects.create(scope="user", user=rep_a2, year=2026, amount=D("120.00")),
        "rep_b": Target.objects.create(scope="user", user=rep_b, year=2026, amount=D("240.00")),
    }


def ids(body):
    return {r["id"] for r in body["results"]}


def test_rep_sees_their_own_and_their_teams_target(api, rep_a, targets):
    body = api(rep_a).get("/api/targets/").json()
    assert ids(body) == {targets["rep_a"].pk, targets["team_a"].pk}


def test_rep_gets_404_for_another_reps_target(api, rep_a, targets):
    assert api(rep_a).get(f"/api/targets/{targets['rep_b'].pk}/").status_code == 404
    assert api(rep_a).get(f"/api/targets/{targets['company'].pk}/").status_code == 404


def test_manager_sees_the_team(api, manager_a, targets):
    assert ids(api(manager_a).get("/api/targets/").json()) == {targets["team_a"].pk, targets["rep_a"].pk, targets["rep_a2"].pk}


def test_finance_sees_everything_and_filters(api, finance, targets):
    client = api(finance)
    assert len(ids(client.get("/api/targets/").json())) == 5
    assert ids(client.get("/api/targets/", {"scope": "company"}).json()) == {targets["company"].pk}
    assert client.get("/api/targets/", {"scope": "nope"}).status_code == 400
    assert client.get("/api/targets/", {"year": "1999"}).status_code == 400


def test_rep_reads_the_monthly_breakdown(api, rep_a, targets):
    body = api(rep_a).get(f"/api/targets/{targets['rep_a'].pk}/").json()
    assert body["amount"] == "100.00" and body["currency"] == "CNY" and body["measure"] == "won"
    assert body["months"][0] == "15.39" and len(body["months"]) == 12
    assert sum(D(m) for m in body["months"]) == D("100.00")
    assert body["weights"] == ["2"] + ["1"] * 11


def test_manager_sets_a_reps_target_through_the_service(api, manager_a, rep_a, targets):
    client = api(manager_a)
    response = client.post("/api/targets/", {"scope": "user", "user": rep_a.pk, "year": 2026, "amount": "150.00"}, format="json")
    assert response.status_code == 200 and response.json()["amount"] == "150.00"
    targets["rep_a"].refresh_from_db()
    assert targets["rep_a"].amount == D("150.00") and targets["rep_a"].updated_by == manager_a
    response = client.post("/api/targets/", {"scope": "user", "user": rep_a.pk, "year": 2027, "amount": "10.00"}, format="json")
    assert response.status_code == 201


def test_manager_may_not_set_the_team_or_another_teams_rep(api, manager_a, team_a, rep_b, targets):
    client = api(manager_a)
    response = client.post("/api/targets/", {"scope": "team", "team": team_a.pk, "year": 2026, "amount": "1.00"}, format="json")
    assert response.status_code == 403
    response = client.post("/api/targets/", {"scope": "user", "user": rep_b.pk, "year": 2026, "amount": "1.00"}, format="json")
    assert response.status_code == 400 and "user" in response.json()["error"]["fields"]
    assert Target.objects.get(pk=targets["team_a"].pk).amount == D("600.00")


@pytest.mark.parametrize("who", ["rep_a", "finance"])
def test_rep_and_finance_may_not_write_targets(api, who, request, rep_a, targets):
    response = api(request.getfixturevalue(who)).post(
        "/api/targets/", {"scope": "user", "user": rep_a.pk, "year": 2026, "amount": "1.00"}, format="json")
    assert response.status_code == 403


def test_admin_bad_weights_break_the_services_rule(api, admin, targets):
    response = api(admin).post("/api/targets/", {"scope": "company", "year": 2026, "amount": "1.00", "weights": ["0"] * 12},
                                  format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "rule_violated"
    assert Target.objects.get(pk=targets["company"].pk).amount == D("1200.00")


def test_read_only_token_of_the_director_gets_403(client, director, targets):
    _token, raw = access_token_create(actor=director, name="r", scope="read")
    response = client.post("/api/targets/", {"scope": "company", "year": 2026, "amount": "1.00"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403


# --- forecasts ----------------------------------------------------------------------------------

def open_labels():
    return [p.label for p in forecast_periods(timezone.localdate())]


def test_rep_submits_a_forecast_all_or_nothing(api, rep_a, cast):
    month, next_month = open_labels()[:2]
    client = api(rep_a)
    response = client.post("/api/forecasts/submit/", {"numbers": [
        {"period": month, "commit": "100.00", "best_case": "150.00"},
        {"period": next_month, "commit": "90.00", "best_case": "80.00"},  # best case below the commit: nothing is saved
    ]}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "rule_violated"
    assert not ForecastSubmission.objects.exists()
    response = client.post("/api/forecasts/submit/", {"numbers": [{"period": month, "commit": "100.00", "best_case": "150.00"}]},
                           format="json")
    assert response.status_code == 201
    [body] = response.json()
    assert (body["period"], body["commit"], body["best_case"], body["currency"], body["user"]) == (month, "100.00", "150.00", "CNY", rep_a.pk)
    periods = {p["period"]: p for p in client.get("/api/forecasts/open-periods/").json()}
    assert periods[month]["latest"]["id"] == body["id"] and periods[next_month]["latest"] is None


def test_rep_closed_period_is_refused(api, rep_a, cast):
    response = api(rep_a).post("/api/forecasts/submit/", {"numbers": [{"period": "2000-01", "commit": "1.00", "best_case": "1.00"}]},
                               format="json")
    assert response.status_code == 400 and not ForecastSubmission.objects.exists()


@pytest.mark.parametrize("who", ["manager_a", "finance", "director"])
def test_only_reps_submit(api, who, request, cast):
    response = api(request.getfixturevalue(who)).post(
        "/api/forecasts/submit/", {"numbers": [{"period": open_labels()[0], "commit": "1.00", "best_case": "1.00"}]}, format="json")
    assert response.status_code == 403


@pytest.fixture
def submissions(cast, rep_a, rep_b):
    def make(user, commit):
        return ForecastSubmission.objects.create(user=user, period="2026-06", period_start=date(2026, 6, 1), period_end=date(2026, 6, 30),
                                                 submitted_on=date(2026, 6, 5), commit=D(commit), best_case=D(commit) * 2)
    return {"rep_a": make(rep_a, "10.00"), "rep_b": make(rep_b, "20.00")}


def test_rep_reads_their_own_submissions_and_404_for_another_reps(api, rep_a, submissions):
    client = api(rep_a)
    assert ids(client.get("/api/forecasts/").json()) == {submissions["rep_a"].pk}
    assert client.get(f"/api/forecasts/{submissions['rep_b'].pk}/").status_code == 404
    body = client.get(f"/api/forecasts/{submissions['rep_a'].pk}/").json()
    assert (body["commit"], body["best_case"], body["source"]) == ("10.00", "20.00", "page")


def test_manager_reads_the_teams_and_a_reps_open_periods(api, manager_a, rep_a, rep_b, submissions):
    client = api(manager_a)
    assert ids(client.get("/api/forecasts/", {"period": "2026-06"}).json()) == {submissions["rep_a"].pk}
    assert client.get("/api/forecasts/", {"period": "June"}).status_code == 400
    assert len(client.get("/api/forecasts/open-periods/", {"user": rep_a.pk}).json()) == 4
    assert client.get("/api/forecasts/open-periods/", {"user": rep_b.pk}).status_code == 404


def test_director_sees_every_submission(api, director, submissions):
    assert ids(api(director).get("/api/forecasts/").json()) == {s.pk for s in submissions.values()}


# --- the roll-up ----------------------------------------------------------------------------------

def test_manager_reads_the_rollup_of_the_team(api, manager_a, rep_a, rep_a2, submissions):
    body = api(manager_a).get("/api/forecasts/rollup/", {"period": "2026-06"}).json()
    rows = {r["user"]: (r["commit"], r["best_case"], r["submission"]) for r in body["rows"]}
    assert rows == {rep_a.pk: ("10.00", "20.00", submissions["rep_a"].pk), rep_a2.pk: ("0.00", "0.00", None)}
    assert (body["total"]["reps"], body["total"]["missing"], body["total"]["commit"]) == (2, 1, "10.00")
    assert body["period_start"] == "2026-06-01" and body["currency"] == "CNY"


def test_director_reads_every_rep_and_a_team(api, director, team_b, rep_b, submissions):
    client = api(director)
    assert client.get("/api/forecasts/rollup/", {"period": "2026-06"}).json()["total"]["commit"] == "30.00"
    body = client.get("/api/forecasts/rollup/", {"period": "2026-06", "team": team_b.pk}).json()
    assert [r["user"] for r in body["rows"]] == [rep_b.pk] and body["team"] == team_b.pk


def test_manager_another_team_is_404_and_a_bad_period_400(api, manager_a, team_b, submissions):
    client = api(manager_a)
    assert client.get("/api/forecasts/rollup/", {"team": team_b.pk}).status_code == 404
    assert client.get("/api/forecasts/rollup/", {"period": "2026"}).status_code == 400


def test_manager_spreads_a_reps_target_as_the_page_does(api, manager_a, rep_a, targets):
    client = api(manager_a)
    url = "/api/targets/"
    body = {"scope": "user", "user": rep_a.pk, "year": 2026, "amount": "140.00"}
    response = client.post(url, {**body, "spread": "weights", "weights": ["3"] + ["1"] * 11}, format="json")
    assert response.status_code == 200 and response.json()["months"] == ["30.00"] + ["10.00"] * 11
    response = client.post(url, {**body, "spread": "even"}, format="json")  # the page's "evenly": the typed weights go
    assert response.status_code == 200 and response.json()["weights"] == [""] * 12
    assert sum(D(m) for m in response.json()["months"]) == D("140.00") and len(set(response.json()["months"])) <= 2
    response = client.post(url, {**body, "spread": "last_year", "year": 2027}, format="json")  # no amounts in 2026: even
    assert response.status_code == 201 and response.json()["weights"] == [""] * 12
    response = client.post(url, {**body, "spread": "weights"}, format="json")  # the weights are required then
    assert response.status_code == 400 and response.json()["error"]["code"] == "rule_violated"
    response = client.post(url, {**body, "spread": "by_magic"}, format="json")
    assert response.status_code == 400 and "spread" in response.json()["error"]["fields"]
    assert Target.objects.get(pk=targets["rep_a"].pk).weights == [""] * 12

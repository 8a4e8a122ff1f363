"""The targets grid, the spread tools, attainment and targets.csv: who sees and sets what, the
query counts, Chinese and English."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import english_client
from factories import UserFactory
from kehu.core.models import AuditEvent
from kehu.planning.models import Target
from kehu.planning.services.targets import target_set

pytestmark = pytest.mark.django_db

GRID = reverse("planning:targets")
ATTAIN = reverse("planning:attainment")
EXPORT = reverse("planning:target-export")


def _months(client, key, values, year=2026, measure="won"):
    data = {"year": year, "measure": measure, "action": "save"}
    for m, v in enumerate(values, start=1):
        data[f"m-{key}-{m}"] = v
    return client.post(GRID, data)


def test_admin_saves_the_grid_months_as_weights(login, cast):
    client = login(cast["admin"])
    rep_a = cast["rep_a"]
    response = _months(client, f"user-{rep_a.pk}", ["100", "200", *[""] * 10])
    assert response.status_code == 302
    target = Target.objects.get(scope="user", user=rep_a, year=2026)
    assert target.amount == Decimal("300.00")
    assert target.weights == ["100", "200", *["0"] * 10]
    assert AuditEvent.objects.filter(object_type="target", object_id=target.pk).count() == 1


def test_admin_grid_with_a_bad_row_writes_nothing(login, cast):
    client = login(cast["admin"])
    data = {"year": 2026, "measure": "won", "action": "save"}
    for m in range(1, 13):
        data[f"m-user-{cast['rep_a'].pk}-{m}"] = "10"
        data[f"m-user-{cast['rep_b'].pk}-{m}"] = "-1" if m == 3 else "10"
    response = client.post(GRID, data)
    assert response.status_code == 400
    assert Target.objects.count() == 0
    assert b"grid-errors" in response.content


def test_rep_cannot_post_the_grid(login, cast):
    client = login(cast["rep_a"])
    response = _months(client, f"user-{cast['rep_a'].pk}", ["1"] * 12)
    assert response.status_code == 403
    assert Target.objects.count() == 0


def test_manager_sets_own_reps_only(login, cast):
    client = login(cast["manager_a"])
    response = client.get(GRID, {"year": 2026})
    assert response.status_code == 200
    keys = {r["key"] for r in response.context["rows"]}
    assert f"user-{cast['rep_a'].pk}" in keys and f"user-{cast['rep_b'].pk}" not in keys
    # rep_b's row is not on the manager's grid: typing it changes nothing
    _months(client, f"user-{cast['rep_b'].pk}", ["1"] * 12)
    assert not Target.objects.filter(user=cast["rep_b"]).exists()
    _months(client, f"user-{cast['rep_a'].pk}", ["1"] * 12)
    assert Target.objects.get(user=cast["rep_a"]).amount == Decimal("12.00")


def test_manager_spreads_a_reps_target_evenly(login, cast):
    client = login(cast["manager_a"])
    response = client.post(GRID, {"year": 2026, "measure": "won", "action": "spread", "key": f"user-{cast['rep_a'].pk}", "amount": "1200", "how": "even"})
    assert response.status_code == 302
    assert Target.objects.get(user=cast["rep_a"]).weights == [""] * 12


def test_manager_cannot_spread_the_team_target(login, cast):
    client = login(cast["manager_a"])
    client.post(GRID, {"year": 2026, "measure": "won", "action": "spread", "key": f"team-{cast['rep_a'].team_id}", "amount": "1200", "how": "even"})
    assert not Target.objects.filter(scope="team").exists()


def test_admin_spread_with_bad_weights_is_refused_with_a_message(login_en, cast):
    client = login_en(cast["admin"])
    data = {"year": 2026, "measure": "won", "action": "spread", "key": "company", "amount": "1200", "how": "weights"}
    data.update({f"w{m}": "0" for m in range(1, 13)})
    response = client.post(GRID, data, follow=True)
    assert not Target.objects.exists()
    assert "The monthly weights are all zero" in response.content.decode()


def test_admin_spreads_the_company_by_last_years_shape_on_the_page(login, cast):
    from kehu.sales.models import Opportunity, OpportunityStage

    won = OpportunityStage.objects.get(code="won")
    Opportunity.objects.create(code="O1", customer=cast["customer_a"], owner=cast["rep_a"], title="x", stage=won, amount=Decimal("10"), closed_on=date(2025, 3, 1))
    Opportunity.objects.create(code="O2", customer=cast["customer_b"], owner=cast["rep_b"], title="y", stage=won, amount=Decimal("30"), closed_on=date(2025, 4, 1))
    response = login(cast["admin"]).post(GRID, {"year": 2026, "measure": "won", "action": "spread", "key": "company", "amount": "400", "how": "last_year"})
    assert response.status_code == 302
    company = login(cast["admin"]).get(GRID, {"year": 2026}).context["rows"][0]
    assert company["months"][2:4] == [Decimal("100.00"), Decimal("300.00")] and sum(company["months"]) == Decimal("400.00")


def test_manager_a_gets_404_spreading_rep_b(login, cast):
    response = login(cast["manager_a"]).post(GRID, {"year": 2026, "measure": "won", "action": "spread", "key": f"user-{cast['rep_b'].pk}", "amount": "1", "how": "even"})
    assert response.status_code == 404
    assert not Target.objects.exists()


def test_rep_sees_the_team_target_without_teammates_sum(login, cast):
    admin = cast["admin"]
    target_set(actor=admin, scope="user", user=cast["rep_a2"], year=2026, amount="500")
    target_set(actor=admin, scope="team", team=cast["rep_a"].team, year=2026, amount="900")
    rows = login(cast["rep_a"]).get(GRID, {"year": 2026}).context["rows"]
    team = [r for r in rows if r["scope"] == "team"][0]
    assert team["target"].amount == Decimal("900.00") and team["members_total"] is None


def test_team_and_company_rows_show_the_sum_of_members(login, cast):
    admin = cast["admin"]
    target_set(actor=admin, scope="user", user=cast["rep_a"], year=2026, amount="1200")
    target_set(actor=admin, scope="user", user=cast["rep_a2"], year=2026, amount="2400")
    target_set(actor=admin, scope="team", team=cast["rep_a"].team, year=2026, amount="5000")
    target_set(actor=admin, scope="company", year=2026, amount="9000")
    response = login(admin).get(GRID, {"year": 2026})
    rows = {r["key"]: r for r in response.context["rows"]}
    team = rows[f"team-{cast['rep_a'].team_id}"]
    assert team["target"].amount == Decimal("5000.00") and team["members_total"] == Decimal("3600.00")
    assert rows["company"]["members_total"] == Decimal("3600.00")


def test_rep_sees_own_row_read_only(login, cast):
    target_set(actor=cast["admin"], scope="user", user=cast["rep_b"], year=2026, amount="1200")
    response = login(cast["rep_a"]).get(GRID, {"year": 2026})
    keys = [r["key"] for r in response.context["rows"]]
    assert f"user-{cast['rep_a'].pk}" in keys and f"user-{cast['rep_b'].pk}" not in keys
    assert b'name="m-' not in response.content


def test_finance_reads_all_read_only(login, cast):
    response = login(cast["finance"]).get(GRID, {"year": 2026})
    assert response.status_code == 200
    assert len([r for r in response.context["rows"] if r["scope"] == "user"]) == 3
    assert b'name="m-' not in response.content


def test_rep_b_gets_404_for_rep_a_attainment(login, cast):
    client = login(cast["rep_b"])
    assert client.get(ATTAIN, {"scope": "user", "rep": cast["rep_a"].pk}).status_code == 404
    assert client.get(ATTAIN, {"scope": "company"}).status_code == 404
    assert client.get(ATTAIN, {"scope": "team", "team": cast["rep_a"].team_id}).status_code == 404
    response = client.get(ATTAIN)
    assert [a.user for a in response.context["table"]["reps"]] == [cast["rep_b"]]


def test_manager_a_gets_404_for_team_b(login, cast):
    client = login(cast["manager_a"])
    assert client.get(ATTAIN, {"scope": "team", "team": cast["rep_b"].team_id}).status_code == 404
    assert client.get(ATTAIN, {"scope": "user", "rep": cast["rep_b"].pk}).status_code == 404
    response = client.get(ATTAIN)
    assert {a.user for a in response.context["table"]["reps"]} == {cast["rep_a"], cast["rep_a2"]}


def test_bad_period_shows_this_quarter_with_a_message(login, cast):
    response = login(cast["admin"]).get(ATTAIN, {"period": "2026-Q9"})
    assert response.status_code == 200
    assert b"period-error" in response.content


def test_export_lists_visible_targets_only(login, cast):
    admin = cast["admin"]
    target_set(actor=admin, scope="user", user=cast["rep_a"], year=2026, amount="1200", weights=["1", "2"])
    target_set(actor=admin, scope="user", user=cast["rep_b"], year=2026, amount="100")
    target_set(actor=admin, scope="company", year=2026, amount="9000")
    body = login(cast["rep_a"]).get(EXPORT).content.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("scope,who,year,amount,m1")
    assert lines[1:] == ["user,rep_a,2026,1200.00,1,2,,,,,,,,,,"]
    body = login(cast["finance"]).get(EXPORT).content.decode("utf-8-sig")
    assert len(body.strip().splitlines()) == 4


def _many_reps(cast, n):
    team = cast["rep_a"].team
    for i in range(n):
        rep = UserFactory(username=f"extra{i}", role="rep", team=team)
        target_set(actor=cast["admin"], scope="user", user=rep, year=2026, amount="1200")


@pytest.mark.parametrize("url", [GRID, ATTAIN])
def test_admin_query_count_does_not_grow_with_reps(login, cast, django_assert_max_num_queries, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(cast["admin"])
    _many_reps(cast, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, {"year": 2026, "period": "2026-Q2"}).status_code == 200
    _many_reps_more = 19
    for i in range(_many_reps_more):
        rep = UserFactory(username=f"more{i}", role="rep", team=cast["rep_b"].team)
        target_set(actor=cast["admin"], scope="user", user=rep, year=2026, amount="1200")
    with CaptureQueriesContext(connection) as twenty:
        assert client.get(url, {"year": 2026, "period": "2026-Q2"}).status_code == 200
    assert len(twenty) == len(one)


@pytest.mark.parametrize("url", [GRID, ATTAIN])
def test_pages_render_in_chinese_and_english(client, login, cast, url):
    target_set(actor=cast["admin"], scope="company", year=date.today().year, amount="9000")
    zh = login(cast["admin"]).get(url).content.decode()
    assert ("目标" in zh) or ("达成" in zh)
    en = english_client(client, cast["admin"]).get(url).content.decode()
    assert ("Targets" in en) or ("Attainment" in en)


def test_admin_spreading_by_a_thin_last_year_is_warned(login_en, cast):
    """Last year's shape with empty months gives those months no target: the page says so."""
    from datetime import date as _date

    from kehu.sales.models import Opportunity, OpportunityStage

    client = login_en(cast["admin"])
    rep = cast["rep_a"]
    Opportunity.objects.create(code="OTHIN", customer=cast["customer_a"], owner=rep, title="x", stage=OpportunityStage.objects.get(code="won"),
                               amount="100.00", closed_on=_date(2025, 3, 3))
    response = client.post("/planning/targets/?year=2026", {"action": "spread", "key": f"user-{rep.pk}", "year": "2026", "measure": "won",
                                                            "amount": "1200", "how": "last_year"}, follow=True)
    body = response.content.decode()
    assert "Last year had nothing in months 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12" in body
    response = client.post("/planning/targets/?year=2026", {"action": "spread", "key": f"user-{cast['rep_b'].pk}", "year": "2026",
                                                            "measure": "won", "amount": "1200", "how": "last_year"}, follow=True)
    assert "it was spread evenly" in response.content.decode()


def test_admin_grid_error_names_the_month_keeps_what_was_typed_and_marks_the_cell(login_en, cast):
    from kehu.planning.models import Target

    rep = cast["rep_a"]
    data = {"year": "2026", "measure": "won", "action": "save", **{f"m-user-{rep.pk}-{m}": "100" for m in range(1, 13)}}
    data[f"m-user-{rep.pk}-5"] = "-7"
    response = login_en(cast["admin"]).post("/planning/targets/", data)
    body = response.content.decode()
    assert response.status_code == 400 and not Target.objects.exists()
    assert "Month 5: A target cannot be negative." in body
    assert 'is-invalid" style="min-width:7rem;max-width:8.5rem" form="target-grid-form" name="m-user-%d-5" value="-7"' % rep.pk in body

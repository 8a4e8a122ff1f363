"""Review 1 of issue 11 on targets: who may import a target, the targets.csv round trip (weights
and the manager's export), the admin and the attainment page of a manager without teams."""

import pytest

from factories import UserFactory
from kehu.dataset.services import dataset_import
from kehu.dataset.tests.conftest import write_dataset
from kehu.planning.models import Target
from kehu.planning.permissions import can_set_target

pytestmark = pytest.mark.django_db
HEADER = ["scope", "who", "year", "amount", *[f"m{i}" for i in range(1, 13)]]


def import_targets(tmp_path, actor, *rows):
    folder = write_dataset(tmp_path / "t", {"targets.csv": [HEADER, *rows]})
    return dataset_import(actor=actor, path=folder)


def test_manager_imports_own_target_is_refused(manager_a, tmp_path):
    assert not can_set_target(manager_a, scope="user", rep=manager_a)
    report = import_targets(tmp_path, manager_a, ["user", "manager_a", "2027", "1", *[""] * 12])
    assert report.errors, "manager set their own target by import"
    assert "own target" in report.errors[0].reason or "自己" in report.errors[0].reason
    assert not Target.objects.exists()


def test_manager_imports_non_rep_member_target_is_refused(manager_a, team_a, tmp_path):
    clerk = UserFactory(username="clerk_a", role="finance", team=team_a)
    assert not can_set_target(manager_a, scope="user", rep=clerk)
    report = import_targets(tmp_path, manager_a, ["user", "clerk_a", "2027", "1", *[""] * 12])
    assert report.errors
    assert not Target.objects.exists()


def test_manager_imports_their_rep_target(manager_a, rep_a, tmp_path):
    report = import_targets(tmp_path, manager_a, ["user", "rep_a", "2027", "1000", *[""] * 12])
    assert not report.errors, report.errors
    assert Target.objects.get().user == rep_a


def test_admin_still_imports_any_user_target(admin, manager_a, tmp_path):
    report = import_targets(tmp_path, admin, ["user", "manager_a", "2027", "1000", *[""] * 12])
    assert not report.errors, report.errors


def test_lonely_manager_attainment_page(client):
    from conftest import english_client

    m = UserFactory(username="lonely", role="manager")
    client.force_login(m)
    response = client.get("/planning/attainment/")
    assert response.status_code == 200
    assert "请总监将您设为某个团队的经理" in response.content.decode()
    assert "该范围内没有销售代表" not in response.content.decode()
    for params in ({"scope": "team"}, {"scope": "user"}):
        assert client.get("/planning/attainment/", params).status_code == 200
    english_client(client, m)
    assert "the director makes you a team's manager" in client.get("/planning/attainment/").content.decode().replace("&#x27;", "'")


def test_lonely_manager_still_gets_404_for_a_team_or_rep_by_id(client, rep_a):
    m = UserFactory(username="lonely", role="manager")
    client.force_login(m)
    assert client.get("/planning/attainment/", {"scope": "team", "team": rep_a.team_id}).status_code == 404
    assert client.get("/planning/attainment/", {"scope": "user", "rep": rep_a.pk}).status_code == 404


def test_manager_a_attainment_scope_user_defaults_to_a_rep(client, manager_a, rep_a):
    client.force_login(manager_a)
    response = client.get("/planning/attainment/", {"scope": "user"})
    assert response.status_code == 200 and response.context["rep"] == rep_a


def test_admin_cannot_add_change_or_delete_targets_in_the_django_admin(client, admin, rep_a):
    from django.contrib import admin as django_admin

    from kehu.planning.models import PlanningSettings

    target = Target.objects.create(scope="user", user=rep_a, year=2026, measure="won", amount="1000", weights=[])
    PlanningSettings.load()
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client.force_login(admin)
    for model in (Target, PlanningSettings):
        model_admin = django_admin.site._registry[model]
        request = type("R", (), {"user": admin})()
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    response = client.get("/admin/planning/target/", follow=True)
    assert response.status_code == 200 and "/planning/targets/" in response.content.decode()
    assert client.get("/admin/planning/target/add/").status_code == 403
    before = Target.objects.get().amount
    client.post(f"/admin/planning/target/{target.pk}/change/", {"amount": "1", "year": "2026", "scope": "user", "measure": "won"})
    assert Target.objects.get().amount == before
    assert client.post(f"/admin/planning/target/{target.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Target.objects.exists()
    assert "/planning/forecast/settings/" in client.get("/admin/planning/planningsettings/").content.decode()


# --- the targets.csv round trip ---------------------------------------------------------------

def test_director_typing_weights_with_more_than_4_decimals_is_refused(admin, rep_a):
    from kehu.planning.errors import PlanningError
    from kehu.planning.services.targets import target_spread

    with pytest.raises(PlanningError) as refused:
        target_spread(actor=admin, year=2027, measure="won", scope="user", user=rep_a, amount="1200", how="weights",
                      weights=["1.12345", *["1"] * 11])
    assert "4" in refused.value.message
    assert not Target.objects.exists()
    target_spread(actor=admin, year=2027, measure="won", scope="user", user=rep_a, amount="1200", how="weights",
                  weights=["1.1234", "2.50000", *["1"] * 10])
    assert Target.objects.get().weights[:2] == ["1.1234", "2.5"]


def test_director_spread_form_refuses_5_decimals_with_a_translated_message(client, admin, rep_a):
    client.force_login(admin)
    response = client.post("/planning/targets/", {"year": "2027", "action": "spread", "key": f"user-{rep_a.pk}", "amount": "1200",
                                                  "how": "weights", "w1": "0.00001", "w2": "1"}, follow=True)
    assert "超过 4 位小数" in response.content.decode()
    assert not Target.objects.exists()


def test_typed_weights_export_and_import_back_unchanged(admin, rep_a, tmp_path):
    from kehu.planning.selectors.targets import targets_export_rows
    from kehu.planning.services.targets import target_spread

    target_spread(actor=admin, year=2027, measure="won", scope="user", user=rep_a, amount="1200", how="weights",
                  weights=["0.0001", "3.3333", *["1"] * 10])
    rows = [cells for cells, _m in targets_export_rows(user=admin, measure="won")]
    report = import_targets(tmp_path, admin, *rows)
    assert not report.errors, report.errors
    assert report.unchanged.get("targets.csv") == 1 and not report.updated.get("targets.csv")


def test_manager_export_holds_only_what_they_may_import(client, admin, manager_a, rep_a, rep_b, team_a, tmp_path):
    from kehu.planning.selectors.targets import targets_export_rows
    from kehu.planning.services.targets import target_set

    clerk = UserFactory(username="clerk_a", role="finance", team=team_a)
    target_set(actor=admin, scope="user", user=rep_a, year=2027, amount="1200")
    target_set(actor=admin, scope="user", user=manager_a, year=2027, amount="5000")
    target_set(actor=admin, scope="user", user=clerk, year=2027, amount="7")
    target_set(actor=admin, scope="user", user=rep_b, year=2027, amount="100")
    target_set(actor=admin, scope="team", team=team_a, year=2027, amount="9000")
    target_set(actor=admin, scope="company", year=2027, amount="90000")
    rows = [cells for cells, _m in targets_export_rows(user=manager_a, measure="won")]
    assert [(r[0], r[1]) for r in rows] == [("user", "rep_a")]
    client.force_login(manager_a)
    body = client.get("/planning/targets/export/").content.decode("utf-8-sig").strip().splitlines()
    assert [line.split(",")[:2] for line in body[1:]] == [["user", "rep_a"]]
    report = import_targets(tmp_path, manager_a, *rows)
    assert not report.errors, report.errors
    # the director's export still holds everything
    assert len([1 for _r in targets_export_rows(user=admin, measure="won")]) == 6

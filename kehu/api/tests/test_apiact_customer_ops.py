"""Issue 14 (apiact): release, merge, handover, qualification, the key-account archive, products,
users and teams over the API, with the pages' rules (services of kehu.customers; a customer
out of scope is 404; who sees it but may not act: 403)."""

from decimal import Decimal

import pytest

from kehu.accounts.models import User
from kehu.customers.models import ArchiveSection, CategorySpend, Contact, Customer, Handover, QualificationItem
from kehu.sales.models import Product


def error(response):
    return response.json()["error"]


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- release ---------------------------------------------------------------------------------------

def test_release_as_the_page(api, cast):
    customer = cast["customer_a"]
    url = f"/api/customers/{customer.pk}/release/"
    assert api(cast["rep_b"]).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api(cast["finance"]).post(url, {"reason": "x"}, format="json").status_code == 403
    rep_a = api(cast["rep_a"])
    no_reason = rep_a.post(url, {"reason": "   "}, format="json")
    assert no_reason.status_code == 400
    released = rep_a.post(url, {"reason": "客户已停业"}, format="json")
    assert released.status_code == 200, released.content
    assert (released.json()["owner"], released.json()["in_pool"]) == (None, True)
    customer.refresh_from_db()
    assert (customer.owner_id, customer.previous_owner_id) == (None, cast["rep_a"].pk)
    again = rep_a.post(url, {"reason": "x"}, format="json")
    assert error(again) == {"code": "rule_violated", "message": "该客户已在公海中。"}


# --- merge -------------------------------------------------------------------------------------------

def test_merge_needs_confirm_and_the_pages_rights(api, cast):
    kept, pool = cast["customer_a"], cast["pool_customer"]
    Contact.objects.create(customer=pool, name="李四")
    url = f"/api/customers/{kept.pk}/merge/"
    rep_a = api(cast["rep_a"])
    unconfirmed = rep_a.post(url, {"other": pool.pk}, format="json")
    assert unconfirmed.status_code == 400
    assert error(unconfirmed)["fields"]["confirm"][0]["code"] == "required"
    refused = rep_a.post(url, {"other": pool.pk, "confirm": False}, format="json")
    assert error(refused)["fields"]["confirm"] == [{"code": "confirm_required", "message": "请发送 confirm: true 才会执行；此操作无法撤销。"}]
    hidden = rep_a.post(url, {"other": cast["customer_b"].pk, "confirm": True}, format="json")
    assert error(hidden)["fields"]["other"][0]["code"] == "does_not_exist"
    itself = rep_a.post(url, {"other": kept.pk, "confirm": True}, format="json")
    assert (itself.status_code, error(itself)["code"]) == (400, "rule_violated")
    assert api(cast["rep_b"]).post(url, {"other": pool.pk, "confirm": True}, format="json").status_code == 404
    assert api(cast["finance"]).post(url, {"other": pool.pk, "confirm": True}, format="json").status_code == 403
    # a rep may fold a pool record into their own, not their own into the pool record (can_merge_customers)
    wrong_way = rep_a.post(url, {"other": pool.pk, "keep": "other", "confirm": True}, format="json")
    assert wrong_way.status_code == 403
    merged = rep_a.post(url, {"other": pool.pk, "keep": "this", "confirm": True}, format="json")
    assert merged.status_code == 200, merged.content
    assert (merged.json()["kept"], merged.json()["merged"], merged.json()["moved_counts"]["contacts"]) == (kept.pk, pool.pk, 1)
    assert Customer.objects.get(pk=pool.pk).is_deleted
    assert Contact.objects.get(name="李四").customer_id == kept.pk


# --- handover -------------------------------------------------------------------------------------

def test_handover_as_the_page(api, cast):
    body = {"from_user": cast["rep_a"].pk, "to_user": cast["rep_a2"].pk, "confirm": True}
    assert api(cast["rep_a"]).post("/api/handovers/", body, format="json").status_code == 404  # no handover page
    assert api(cast["finance"]).post("/api/handovers/", body, format="json").status_code == 404
    manager = api(cast["manager_a"])
    assert manager.post("/api/handovers/", {**body, "to_user": cast["rep_b"].pk}, format="json").status_code == 404  # not offered
    assert error(manager.post("/api/handovers/", {**body, "confirm": False}, format="json"))["fields"]["confirm"][0]["code"] == "confirm_required"
    same = manager.post("/api/handovers/", {**body, "to_user": cast["rep_a"].pk}, format="json")
    assert (same.status_code, error(same)["code"]) == (400, "rule_violated")
    done = manager.post("/api/handovers/", {**body, "note": "调岗"}, format="json")
    assert done.status_code == 201, done.content
    answer = done.json()
    assert (answer["customer_count"], answer["customers"], answer["from_user"]["username"], answer["to_user"]["username"], answer["note"]) == (
        1, [cast["customer_a"].pk], "rep_a", "rep_a2", "调岗")
    assert Customer.objects.get(pk=cast["customer_a"].pk).owner_id == cast["rep_a2"].pk
    nothing = manager.post("/api/handovers/", body, format="json")
    assert (nothing.status_code, error(nothing)["code"]) == (400, "rule_violated")
    assert Handover.objects.count() == 1


def test_director_hands_chosen_customers_across_teams(api, cast):
    response = api(cast["director"]).post("/api/handovers/", {
        "from_user": cast["rep_b"].pk, "to_user": cast["rep_a"].pk, "customer_ids": [cast["customer_b"].pk], "confirm": True,
    }, format="json")
    assert response.status_code == 201, response.content
    assert Customer.objects.get(pk=cast["customer_b"].pk).owner_id == cast["rep_a"].pk
    wrong = api(cast["director"]).post("/api/handovers/", {
        "from_user": cast["rep_b"].pk, "to_user": cast["rep_a"].pk, "customer_ids": [cast["customer_a"].pk], "confirm": True,
    }, format="json")
    assert (wrong.status_code, error(wrong)["code"]) == (400, "rule_violated")


# --- qualification ------------------------------------------------------------------------------

@pytest.fixture
def items(db):
    QualificationItem.objects.update(is_active=False)  # the migration's default items out of the way
    return [QualificationItem.objects.create(name="预算", name_en="Budget", position=1),
            QualificationItem.objects.create(name="决策人", name_en="Decision maker", position=2)]


def test_qualification_checklist_as_the_page(api, cast, items):
    customer = cast["customer_a"]
    Customer.objects.filter(pk=customer.pk).update(stage=Customer.Stage.PROSPECT)
    url = f"/api/customers/{customer.pk}/qualification/"
    assert api(cast["rep_b"]).get(url).status_code == 404
    read = api(cast["finance"]).get(url).json()
    assert (read["stage"], read["shown"], read["can_check"], read["done"], read["total"]) == ("prospect", True, False, 0, 2)
    assert [i["name"] for i in read["items"]] == ["预算", "决策人"]
    assert api(cast["finance"]).post(url, {"item": items[0].pk, "checked": True}, format="json").status_code == 403
    rep_a = api(cast["rep_a"])
    first = rep_a.post(url, {"item": items[0].pk, "checked": True, "note": "已确认预算"}, format="json").json()
    assert (first["done"], first["qualified"], first["stage"], first["items"][0]["note"]) == (1, False, "prospect", "已确认预算")
    assert first["items"][0]["checked_by"]["username"] == "rep_a"
    second = rep_a.post(url, {"item": items[1].pk, "checked": True}, format="json").json()
    assert (second["done"], second["qualified"], second["stage"]) == (2, True, "qualified")
    untick = rep_a.post(url, {"item": items[1].pk, "checked": False}, format="json").json()
    assert (untick["done"], untick["stage"]) == (1, "qualified")  # the stage never moves back
    assert rep_a.post(url, {"item": 999999, "checked": True}, format="json").status_code == 400


# --- key-account archive ------------------------------------------------------------------------

def test_archive_read_and_write_as_the_page(api, cast):
    customer = cast["customer_a"]
    CategorySpend.objects.create(customer=customer, category="服务器", year=2025, annual_spend=Decimal("1000000.00"),
                                 currency="CNY", updated_at="2026-01-01T00:00:00Z")
    CategorySpend.objects.create(customer=customer, category="服务器", year=2026, annual_spend=Decimal("1100000.00"),
                                 currency="CNY", updated_at="2026-01-01T00:00:00Z")
    url = f"/api/customers/{customer.pk}/archive/"
    assert api(cast["rep_b"]).get(url).status_code == 404
    read = api(cast["finance"]).get(url).json()
    assert read["can_edit"] is False
    assert [s["section"] for s in read["sections"]] == list(ArchiveSection.Section.values)
    assert [(r["year"], r["annual_spend"], r["growth"], r["growth_source"]) for r in read["spend"]] == [
        (2026, "1100000.00", "10.0", "computed"), (2025, "1000000.00", None, None)]
    assert api(cast["finance"]).put(f"{url}market_share/", {"text": "x"}, format="json").status_code == 403
    rep_a = api(cast["rep_a"])
    written = rep_a.put(f"{url}market_share/", {"text": "华南第一", "share_pct": "12.5"}, format="json")
    assert written.status_code == 200, written.content
    section = next(s for s in written.json()["sections"] if s["section"] == "market_share")
    assert (section["text"], section["share_pct"], section["updated_by"]["username"]) == ("华南第一", "12.5", "rep_a")
    wrong = rep_a.put(f"{url}production_scale/", {"text": "x", "share_pct": "5"}, format="json")
    assert (wrong.status_code, error(wrong)["code"]) == (400, "rule_violated")
    assert rep_a.put(f"{url}nonsense/", {"text": "x"}, format="json").status_code == 404


# --- products, users, teams ---------------------------------------------------------------------

def test_products_read_for_every_user(api, cast):
    Product.objects.create(code="P2", name="存储", category="硬件", list_price="2000.5000", unit_cost="1500.0000")
    Product.objects.create(code="P1", name="服务器", category="硬件", list_price="1000.0000", unit_cost="600.0000", is_active=False)
    for role in ("rep_a", "finance", "admin"):
        rows = api(cast[role]).get("/api/products/").json()["results"]
        assert [(r["code"], r["list_price"], r["is_active"]) for r in rows] == [("P1", "1000.0000", False), ("P2", "2000.5000", True)]
    rep = api(cast["rep_a"])
    assert [r["code"] for r in rep.get("/api/products/", {"active": "1"}).json()["results"]] == ["P2"]
    assert rep.get("/api/products/", {"active": "yes"}).status_code == 400
    assert rep.get("/api/products/999999/").status_code == 404
    assert rep.post("/api/products/", {"code": "P3"}, format="json").status_code == 405  # changed in the admin only


def test_users_and_teams_as_the_pages_show_them(api, cast):
    rep_a = api(cast["rep_a"])
    assert [u["username"] for u in rep_a.get("/api/users/").json()["results"]] == ["rep_a"]
    assert rep_a.get(f"/api/users/{cast['rep_b'].pk}/").status_code == 404
    assert [u["username"] for u in api(cast["manager_a"]).get("/api/users/").json()["results"]] == ["manager_a", "rep_a", "rep_a2"]
    everyone = [u["username"] for u in api(cast["finance"]).get("/api/users/").json()["results"]]
    assert everyone == sorted(User.objects.filter(is_active=True).values_list("username", flat=True))
    assert [u["username"] for u in api(cast["admin"]).get("/api/users/", {"role": "rep", "team": cast["rep_b"].team_id}).json()["results"]] == ["rep_b"]
    assert [t["name"] for t in rep_a.get("/api/teams/").json()["results"]] == ["Team A"]
    assert rep_a.get(f"/api/teams/{cast['rep_b'].team_id}/").status_code == 404
    assert [t["name"] for t in api(cast["manager_a"]).get("/api/teams/").json()["results"]] == ["Team A"]
    teams = api(cast["director"]).get("/api/teams/").json()["results"]
    assert [(t["name"], [m["username"] for m in t["managers"]]) for t in teams] == [("Team A", ["director", "manager_a"]), ("Team B", ["director"])]
    assert api(cast["finance"]).get("/api/teams/").json()["count"] == 2


def test_spend_rows_as_the_archive_page(api, cast):
    customer = cast["customer_a"]
    url = f"/api/customers/{customer.pk}/archive/spend/"
    body = {"category": "服务器", "year": 2025, "annual_spend": "1000000.00"}
    assert api(cast["rep_b"]).post(url, body, format="json").status_code == 404
    assert api(cast["finance"]).post(url, body, format="json").status_code == 403
    rep_a = api(cast["rep_a"])
    created = rep_a.post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert [(r["category"], r["annual_spend"], r["currency"]) for r in created.json()["spend"]] == [("服务器", "1000000.00", "CNY")]
    twice = rep_a.post(url, {**body, "category": " 服务器 "}, format="json")
    assert (twice.status_code, error(twice)["code"]) == (400, "rule_violated")
    spend = CategorySpend.objects.get(customer=customer)
    row_url = f"/api/archive/spend/{spend.pk}/"
    assert api(cast["rep_b"]).get(row_url).status_code == 404
    assert api(cast["finance"]).get(row_url).json()["annual_spend"] == "1000000.00"
    changed = rep_a.put(row_url, {**body, "annual_spend": "1200000.00", "growth_pct": "20.0"}, format="json")
    assert changed.status_code == 200, changed.content
    assert rep_a.get(row_url).json()["growth"] == "20.0"  # stated (no previous year's row)
    assert api(cast["finance"]).delete(row_url).status_code == 403
    assert api(cast["rep_b"]).delete(row_url).status_code == 404
    assert rep_a.delete(row_url).status_code == 204
    assert not CategorySpend.objects.filter(customer=customer).exists()

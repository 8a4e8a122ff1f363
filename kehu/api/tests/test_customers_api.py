"""/api/customers/: list, create, retrieve, partial update, delete, claim."""

import json
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext

from conftest import make_customer
from kehu.api.pagination import CappedLimitOffsetPagination
from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers.models import Customer, PoolEvent, Tag

LIST = "/api/customers/"
VALID_USCC = "91350100M000100Y43"


def detail(customer):
    return f"/api/customers/{customer.pk}/"


def codes(response):
    return {row["code"] for row in response.json()["results"]}


def translated(message, user):
    with translation.override(user.language):
        return gettext(message)


# --- visibility ---------------------------------------------------------------------------

def test_rep_a_lists_own_and_pool_customers(api, cast):
    response = api(cast["rep_a"]).get(LIST)
    assert response.status_code == 200
    assert codes(response) == {"C00001", "C00004"}


def test_manager_a_lists_team_a_and_pool(api, cast):
    assert codes(api(cast["manager_a"]).get(LIST)) == {"C00001", "C00002", "C00004"}


def test_director_and_finance_and_admin_list_everything(api, cast):
    for who in ("director", "finance", "admin"):
        assert codes(api(cast[who]).get(LIST)) == {"C00001", "C00002", "C00003", "C00004"}, who


def test_rep_b_gets_404_for_rep_a_customer_everywhere(api, cast):
    client = api(cast["rep_b"])
    url = detail(cast["customer_a"])
    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Stolen"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert client.post(url + "claim/").status_code == 404
    assert client.get(url + "contacts/").status_code == 404
    assert client.post(url + "contacts/", {"name": "Spy"}, format="json").status_code == 404
    customer = Customer.objects.get(pk=cast["customer_a"].pk)
    assert (customer.name, customer.owner_id, customer.is_deleted) == ("华为技术有限公司", cast["rep_a"].pk, False)
    assert not customer.contacts.exists()


def test_rep_a_gets_404_for_missing_id(api, rep_a):
    assert api(rep_a).get("/api/customers/999999/").status_code == 404


def test_anonymous_gets_401(api, customer_a):  # issue 14: 401, not 403
    client = api(None)
    assert client.get(LIST).status_code == 401
    assert client.get(detail(customer_a)).status_code == 401
    assert client.post(LIST, {"name": "X"}, format="json").status_code == 401


def test_rep_a_gets_404_for_customer_in_recycle_bin(api, cast):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(is_deleted=True)
    assert api(cast["rep_a"]).get(detail(cast["customer_a"])).status_code == 404
    assert "C00001" not in codes(api(cast["admin"]).get(LIST))


def test_rep_a_write_without_csrf_token_is_refused(rep_a, customer_a):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(rep_a)
    response = client.patch(detail(customer_a), {"name": "No token"}, format="json")
    assert response.status_code == 403
    assert Customer.objects.get(pk=customer_a.pk).name == "华为技术有限公司"


# --- list: search, filters, paging, query count -------------------------------------------

def test_rep_a_finds_customer_by_pinyin_initials(api, cast):
    assert codes(api(cast["rep_a"]).get(LIST, {"q": "hwjs"})) == {"C00001"}


def test_rep_b_search_never_finds_rep_a_customer(api, cast):
    assert codes(api(cast["rep_b"]).get(LIST, {"q": "华为"})) == set()


def test_manager_a_filters_by_owner_stage_province_tag(api, cast):
    client = api(cast["manager_a"])
    assert codes(client.get(LIST, {"owner": "pool"})) == {"C00004"}
    assert codes(client.get(LIST, {"owner": cast["rep_a2"].pk})) == {"C00002"}
    assert codes(client.get(LIST, {"province": "广东", "industry": "建筑"})) == {"C00002"}
    Customer.objects.filter(pk=cast["customer_a"].pk).update(stage="qualified")
    assert codes(client.get(LIST, {"stage": "qualified"})) == {"C00001"}
    cast["customer_a2"].tags.add(Tag.objects.create(name="重点"))
    assert codes(client.get(LIST, {"tag": "重点"})) == {"C00002"}


def test_rep_a_list_rows_carry_owner_tags_and_money(api, cast):
    customer = cast["customer_a"]
    Customer.objects.filter(pk=customer.pk).update(credit_limit=Decimal("50000.50"))
    customer.tags.add(Tag.objects.create(name="VIP"))
    response = api(cast["rep_a"]).get(LIST, {"q": "C00001"})
    (row,) = response.json()["results"]
    assert row["owner"] == {"id": cast["rep_a"].pk, "username": "rep_a", "name": "rep_a"}
    assert row["tags"] == ["VIP"]
    assert row["credit_limit"] == "50000.50"
    assert row["currency"] == "CNY"
    assert '"credit_limit":"50000.50"' in response.content.decode()


@pytest.mark.parametrize("rows", [1, 30])
def test_admin_list_runs_a_fixed_number_of_queries(api, admin, django_assert_num_queries, rows):
    tag = Tag.objects.create(name="T")
    for i in range(rows):
        customer = make_customer(admin if i % 2 else None, f"客户{i}", f"Q{i:05d}")
        customer.tags.add(tag)
    client = api(admin)
    # session, user, rows, tags (one prefetch), capped count
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert len(response.json()["results"]) == rows


def test_rep_a_pages_with_limit_offset_and_capped_count(api, rep_a, monkeypatch):
    for i in range(5):
        make_customer(rep_a, f"客户{i}", f"Q{i:05d}")
    client = api(rep_a)
    page = client.get(LIST, {"limit": 2, "offset": 0}).json()  # offset pages, kept for compatibility
    assert (page["count"], page["count_capped"], len(page["results"])) == (5, False, 2)
    assert "offset=2" in page["next"]
    last = client.get(LIST, {"limit": 2, "offset": 4}).json()
    assert last["next"] is None and len(last["results"]) == 1
    monkeypatch.setattr(CappedLimitOffsetPagination, "count_cap", 3)
    capped = client.get(LIST, {"limit": 2, "offset": 2}).json()
    assert (capped["count"], capped["count_capped"]) == (3, True)
    assert capped["next"] is not None  # paging goes on past the cap


# --- retrieve -----------------------------------------------------------------------------

def test_rep_a_retrieves_customer_with_profile(api, cast):
    data = api(cast["rep_a"]).get(detail(cast["customer_a"])).json()
    assert data["code"] == "C00001"
    assert data["stage"] == "target"
    assert data["in_pool"] is False
    assert "business_philosophy" in data["profile"]


def test_rep_a_sees_bank_account_masked_finance_sees_it_whole(api, cast):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(bank_account="6222021234567890123")
    assert api(cast["rep_a"]).get(detail(cast["customer_a"])).json()["bank_account"] == "6222***********0123"
    assert api(cast["finance"]).get(detail(cast["customer_a"])).json()["bank_account"] == "6222021234567890123"
    row = api(cast["rep_a"]).get(LIST, {"q": "C00001"}).json()["results"][0]
    assert row["bank_account"] == "6222***********0123"


def test_rep_a_sees_person_id_number_masked(api, cast):
    from kehu.customers.models import PersonProfile

    person = make_customer(cast["rep_a"], "王小明", "P00001", kind="person")
    PersonProfile.objects.filter(customer=person).update(id_number="110101199003070011")
    profile = api(cast["rep_a"]).get(detail(person)).json()["profile"]
    assert profile["id_number"] == "1101**********0011"


def test_rep_a_does_not_see_referrer_id_of_customer_they_cannot_see(api, cast):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(referrer_customer=cast["customer_b"])
    assert api(cast["rep_a"]).get(detail(cast["customer_a"])).json()["referrer_customer"] is None
    assert api(cast["manager_a"]).get(detail(cast["customer_a"])).json()["referrer_customer"] is None
    assert api(cast["director"]).get(detail(cast["customer_a"])).json()["referrer_customer"] == cast["customer_b"].pk


# --- create -------------------------------------------------------------------------------

def test_rep_a_creates_customer_owned_by_themself(api, cast):
    response = api(cast["rep_a"]).post(LIST, {"name": "新客户有限公司", "province": "浙江", "lead_source": "internet"}, format="json")
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.owner == cast["rep_a"]
    assert customer.code.startswith("C")
    assert AuditEvent.objects.filter(customer=customer, verb="create").exists()


def test_rep_a_crafted_owner_code_stage_on_create_are_ignored(api, cast):
    payload = {
        "name": "走私客户", "owner": cast["rep_b"].pk, "code": "HACK1", "stage": "vip", "is_key_account": True,
        "is_deleted": True, "created_at": "2000-01-01T00:00:00Z", "name_initials": "zzz",
    }
    response = api(cast["rep_a"]).post(LIST, payload, format="json")
    assert response.status_code == 201
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.owner == cast["rep_a"]
    assert customer.code != "HACK1"
    assert customer.stage == "target"
    assert customer.is_key_account is False and customer.is_deleted is False
    assert customer.created_at.year > 2000
    assert customer.name_initials == "zskh"


def test_rep_a_create_with_tags_and_ignored_credit(api, cast):
    Tag.objects.create(name="展会")
    response = api(cast["rep_a"]).post(LIST, {"name": "标签客户", "tags": ["展会"], "credit_limit": "9999.00"}, format="json")
    assert response.status_code == 201
    customer = Customer.objects.get(pk=response.json()["id"])
    assert list(customer.tags.values_list("name", flat=True)) == ["展会"]
    assert customer.credit_limit is None  # a rep may not set credit; the service leaves it out


def test_rep_a_create_with_unknown_tag_gets_400(api, rep_a):
    response = api(rep_a).post(LIST, {"name": "标签客户", "tags": ["nope"]}, format="json")
    assert response.status_code == 400
    assert "tags" in response.json()["error"]["fields"]
    assert not Customer.objects.filter(name="标签客户").exists()


def test_rep_a_creating_duplicate_gets_400_with_matches_and_ids_only_when_visible(api, cast):
    client = api(cast["rep_a"])
    response = client.post(LIST, {"name": "信疗医疗器械有限公司"}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "duplicate_customer"
    assert body["message"] == translated("This customer may already exist.", cast["rep_a"])
    assert body["blocking"] is False
    assert body["matches"] == [{"reason": "name", "code": "C00003", "name": "信疗医疗器械有限公司", "owner": "rep_b", "id": None}]

    pool = client.post(LIST, {"name": "另一个", "phone": "136-2405-9081"}, format="json").json()["error"]
    assert pool["matches"] == [{"reason": "phone", "code": "C00004", "name": "精电科技有限公司", "owner": None, "id": cast["pool_customer"].pk}]
    assert Customer.objects.count() == 4


def test_rep_a_confirms_possible_duplicate(api, cast):
    response = api(cast["rep_a"]).post(LIST, {"name": "信疗医疗器械有限公司", "allow_possible_duplicate": True}, format="json")
    assert response.status_code == 201
    assert Customer.objects.filter(name="信疗医疗器械有限公司").count() == 2


def test_rep_a_same_uscc_blocks_even_when_confirmed(api, cast):
    Customer.objects.filter(pk=cast["customer_b"].pk).update(uscc=VALID_USCC)
    response = api(cast["rep_a"]).post(LIST, {"name": "别名公司", "uscc": VALID_USCC, "allow_possible_duplicate": True}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["blocking"] is True
    assert response.json()["error"]["matches"][0]["reason"] == "uscc"


def test_rep_a_invalid_uscc_gets_translated_detail(api, rep_a):
    rep_a.language = "en"
    rep_a.save()
    response = api(rep_a).post(LIST, {"name": "坏代码公司", "uscc": "91350100M000100Y44"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": "rule_violated",
        "message": "91350100M000100Y44 is not a valid unified social credit code (18 characters with a correct check character).",
    }}
    assert not Customer.objects.filter(name="坏代码公司").exists()


def test_rep_a_cannot_name_invisible_referrer(api, cast):
    response = api(cast["rep_a"]).post(LIST, {"name": "介绍客户", "referrer_customer": cast["customer_b"].pk}, format="json")
    assert response.status_code == 400
    assert "referrer_customer" in response.json()["error"]["fields"]
    ok = api(cast["rep_a"]).post(LIST, {"name": "介绍客户", "referrer_customer": cast["pool_customer"].pk}, format="json")
    assert ok.status_code == 201
    assert ok.json()["referrer_customer"] == cast["pool_customer"].pk


def test_finance_cannot_create_customer(api, finance):
    assert api(finance).post(LIST, {"name": "财务客户"}, format="json").status_code == 403
    assert not Customer.objects.filter(name="财务客户").exists()


def test_admin_creates_pool_customer(api, admin):
    response = api(admin).post(LIST, {"name": "公海新客户"}, format="json")
    assert response.status_code == 201
    assert response.json()["owner"] is None and response.json()["in_pool"] is True


# --- partial update -----------------------------------------------------------------------

def test_rep_a_updates_own_customer(api, cast):
    response = api(cast["rep_a"]).patch(detail(cast["customer_a"]), {"city": "东莞", "influence": 4}, format="json")
    assert response.status_code == 200
    assert (response.json()["city"], response.json()["influence"]) == ("东莞", 4)
    customer = Customer.objects.get(pk=cast["customer_a"].pk)
    assert (customer.city, customer.influence, customer.name) == ("东莞", 4, "华为技术有限公司")
    event = AuditEvent.objects.get(customer=customer, verb="update")
    assert event.changes["city"] == ["深圳", "东莞"]


def test_rep_a_crafted_owner_code_stage_on_update_are_ignored(api, cast):
    payload = {"owner": cast["rep_b"].pk, "code": "HACK", "stage": "vip", "is_deleted": True, "notes": "ok"}
    response = api(cast["rep_a"]).patch(detail(cast["customer_a"]), payload, format="json")
    assert response.status_code == 200
    customer = Customer.objects.get(pk=cast["customer_a"].pk)
    assert (customer.owner_id, customer.code, customer.stage, customer.is_deleted, customer.notes) == (
        cast["rep_a"].pk, "C00001", "target", False, "ok",
    )


def test_rep_a_masked_bank_account_sent_back_keeps_the_real_one(api, cast):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(bank_account="6222021234567890123")
    client = api(cast["rep_a"])
    shown = client.get(detail(cast["customer_a"])).json()
    response = client.patch(detail(cast["customer_a"]), {"bank_account": shown["bank_account"], "city": "珠海"}, format="json")
    assert response.status_code == 200
    assert Customer.objects.get(pk=cast["customer_a"].pk).bank_account == "6222021234567890123"
    client.patch(detail(cast["customer_a"]), {"bank_account": "6222000000000000001"}, format="json")
    assert Customer.objects.get(pk=cast["customer_a"].pk).bank_account == "6222000000000000001"


def test_rep_a_bad_influence_gets_400_and_nothing_changes(api, cast):
    response = api(cast["rep_a"]).patch(detail(cast["customer_a"]), {"influence": 9, "city": "珠海"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == translated("Influence and reputation are numbers from 1 to 5.", cast["rep_a"])
    assert Customer.objects.get(pk=cast["customer_a"].pk).city == "深圳"


def test_finance_gets_403_editing_sales_data(api, cast):
    response = api(cast["finance"]).patch(detail(cast["customer_a"]), {"name": "改名"}, format="json")
    assert response.status_code == 403
    assert Customer.objects.get(pk=cast["customer_a"].pk).name == "华为技术有限公司"


def test_finance_sets_credit_limit_as_decimal(api, cast):
    response = api(cast["finance"]).patch(detail(cast["customer_a"]), {"credit_limit": "120000.10", "currency": "USD"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["credit_limit"], response.json()["currency"]) == ("120000.10", "USD")
    customer = Customer.objects.get(pk=cast["customer_a"].pk)
    assert customer.credit_limit == Decimal("120000.10") and isinstance(customer.credit_limit, Decimal)


def test_finance_credit_limit_with_three_decimals_gets_400(api, cast):
    response = api(cast["finance"]).patch(detail(cast["customer_a"]), {"credit_limit": "1.234"}, format="json")
    assert response.status_code == 400
    assert "credit_limit" in response.json()["error"]["fields"]


def test_rep_a_gets_403_setting_credit_limit(api, cast):
    response = api(cast["rep_a"]).patch(detail(cast["customer_a"]), {"credit_limit": "1.00"}, format="json")
    assert response.status_code == 403
    assert Customer.objects.get(pk=cast["customer_a"].pk).credit_limit is None


def test_rep_a_cannot_put_a_whole_customer(api, cast):
    assert api(cast["rep_a"]).put(detail(cast["customer_a"]), {"name": "x"}, format="json").status_code == 405


# --- delete -------------------------------------------------------------------------------

def test_rep_a_gets_403_deleting_own_customer(api, cast):
    assert api(cast["rep_a"]).delete(detail(cast["customer_a"])).status_code == 403
    assert Customer.objects.get(pk=cast["customer_a"].pk).is_deleted is False


def test_manager_a_moves_customer_to_recycle_bin(api, cast):
    client = api(cast["manager_a"])
    assert client.delete(detail(cast["customer_a"])).status_code == 204
    customer = Customer.objects.get(pk=cast["customer_a"].pk)
    assert customer.is_deleted and customer.deleted_by == cast["manager_a"]
    assert client.get(detail(cast["customer_a"])).status_code == 404


def test_manager_a_gets_404_deleting_team_b_customer(api, cast):
    assert api(cast["manager_a"]).delete(detail(cast["customer_b"])).status_code == 404
    assert Customer.objects.get(pk=cast["customer_b"].pk).is_deleted is False


# --- claim --------------------------------------------------------------------------------

def test_rep_b_claims_pool_customer(api, cast):
    response = api(cast["rep_b"]).post(detail(cast["pool_customer"]) + "claim/")
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == cast["rep_b"].pk
    assert PoolEvent.objects.filter(customer=cast["pool_customer"], kind="claim", user=cast["rep_b"]).exists()


def test_manager_a_claiming_owned_customer_gets_400(api, cast):
    response = api(cast["manager_a"]).post(detail(cast["customer_a"]) + "claim/")
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "rule_violated", "message": translated("This customer is no longer in the pool.", cast["manager_a"])}}
    assert Customer.objects.get(pk=cast["customer_a"].pk).owner == cast["rep_a"]


def test_finance_gets_403_claiming(api, cast):
    assert api(cast["finance"]).post(detail(cast["pool_customer"]) + "claim/").status_code == 403
    assert Customer.objects.get(pk=cast["pool_customer"].pk).owner is None


def test_rep_b_claim_over_the_cap_gets_400_with_the_limit(api, cast):
    conf = CompanySettings.load()
    conf.pool_max_customers_per_rep = 1
    conf.save()
    cast["rep_b"].language = "en"
    cast["rep_b"].save()
    response = api(cast["rep_b"]).post(detail(cast["pool_customer"]) + "claim/")
    assert response.status_code == 400
    assert "the most a rep may hold is 1" in response.json()["error"]["message"]
    assert Customer.objects.get(pk=cast["pool_customer"].pk).owner is None


def test_rep_a_gets_405_on_get_claim(api, cast):
    assert api(cast["rep_a"]).get(detail(cast["pool_customer"]) + "claim/").status_code == 405


def test_response_has_no_float_money(api, cast):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(credit_limit=Decimal("0.10"))
    raw = api(cast["rep_a"]).get(detail(cast["customer_a"])).content
    assert json.loads(raw, parse_float=lambda text: pytest.fail(f"float in the answer: {text}"))["credit_limit"] == "0.10"


def test_viewsets_declare_no_class_level_queryset():
    from kehu.api.views import ContactViewSet, CustomerViewSet

    assert CustomerViewSet.queryset is None and ContactViewSet.queryset is None


def test_rep_a_browses_the_api_in_html(api, cast, contact_a):
    client = api(cast["rep_a"])
    for url in (LIST, detail(cast["customer_a"]), detail(cast["customer_a"]) + "contacts/", f"/api/contacts/{contact_a.pk}/"):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert "text/html" in response["Content-Type"]
    assert api(cast["rep_b"]).get(detail(cast["customer_a"]), HTTP_ACCEPT="text/html").status_code == 404

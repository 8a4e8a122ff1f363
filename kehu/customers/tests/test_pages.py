"""The customer record pages: list, detail, create, edit, delete/restore, merge, contacts."""

import re

import pytest

from kehu.core.models import CompanySettings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_customer
from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer, CustomerMerge, Tag
from kehu.customers.services.records import contact_create, customer_update

USCC_A = "914403001922038216"
USCC_B = "91310000717854505W"
BANK = "6222020200112233445"


def _names(response) -> set[str]:
    return set(re.findall(r'<a href="/customers/\d+/">([^<]+)</a>', response.content.decode()))


# ---- rep_b gets 404 for rep_a's records, on every page --------------------------------------

@pytest.mark.parametrize("name", ["detail", "edit", "delete", "merge", "contact-create"])
def test_rep_b_gets_404_for_rep_a_customer_pages(cast, login, name):
    client = login(cast["rep_b"])
    url = reverse(f"customers:{name}", args=[cast["customer_a"].pk])
    assert client.get(url).status_code == 404
    if name != "detail":  # the detail page only answers GET
        assert client.post(url, {"name": "x", "kind": "company"}).status_code == 404
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].name == "华为技术有限公司" and not cast["customer_a"].is_deleted


@pytest.mark.parametrize("name", ["contact-edit", "contact-delete"])
def test_rep_b_gets_404_for_rep_a_contact_pages(cast, login, name):
    contact = contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "张伟"})
    client = login(cast["rep_b"])
    url = reverse(f"customers:{name}", args=[contact.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x"}).status_code == 404
    contact.refresh_from_db()
    assert contact.name == "张伟" and not contact.is_deleted


def test_rep_b_gets_404_merging_rep_a_customer_into_own(cast, login):
    client = login(cast["rep_b"])
    url = reverse("customers:merge", args=[cast["customer_b"].pk])
    assert client.get(url, {"other": cast["customer_a"].pk}).status_code == 404
    assert client.post(url, {"other": cast["customer_a"].pk, "keep": "this"}).status_code == 404
    assert not CustomerMerge.objects.exists()


def test_anonymous_is_sent_to_login(cast, client):
    response = client.get(reverse("customers:detail", args=[cast["customer_a"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ---- list ---------------------------------------------------------------------------------------

def test_rep_a_list_shows_own_and_pool_customers_only(cast, login):
    names = _names(login(cast["rep_a"]).get(reverse("customers:list")))
    assert names == {"华为技术有限公司", "精电科技有限公司"}


def test_manager_a_list_shows_team_a_and_pool(cast, login):
    names = _names(login(cast["manager_a"]).get(reverse("customers:list")))
    assert names == {"华为技术有限公司", "远设建材有限公司", "精电科技有限公司"}


def test_finance_list_shows_all_customers_without_new_button(cast, login_en):
    response = login_en(cast["finance"]).get(reverse("customers:list"))
    assert len(_names(response)) == 4
    assert b'data-testid="new-customer"' not in response.content


def test_rep_a_list_has_new_customer_button(cast, login):
    assert b'data-testid="new-customer"' in login(cast["rep_a"]).get(reverse("customers:list")).content


def test_rep_a_finds_huawei_by_pinyin_initials(cast, login):
    client = login(cast["rep_a"])
    assert _names(client.get(reverse("customers:list"), {"q": "hwjs"})) == {"华为技术有限公司"}
    assert _names(client.get(reverse("customers:list"), {"q": "HWJS"})) == {"华为技术有限公司"}


def test_rep_a_finds_by_code_and_phone(cast, login):
    client = login(cast["rep_a"])
    assert _names(client.get(reverse("customers:list"), {"q": "C00004"})) == {"精电科技有限公司"}
    assert _names(client.get(reverse("customers:list"), {"q": "2878 0808"})) == {"华为技术有限公司"}


def test_rep_a_finds_by_contact_name_and_contact_phone(cast, login):
    contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "任正非", "phone": "139-1111-2222"})
    client = login(cast["rep_a"])
    assert _names(client.get(reverse("customers:list"), {"q": "任正"})) == {"华为技术有限公司"}
    assert _names(client.get(reverse("customers:list"), {"q": "13911112222"})) == {"华为技术有限公司"}


def test_rep_b_search_never_finds_rep_a_customer(cast, login):
    client = login(cast["rep_b"])
    assert _names(client.get(reverse("customers:list"), {"q": "hwjs"})) == set()
    assert _names(client.get(reverse("customers:list"), {"q": "C00001"})) == set()


def test_rep_a_filters_by_owner_stage_tag_and_province(cast, login):
    customer_update(actor=cast["rep_a"], customer=cast["customer_a"], data={}, tags=["华南"], stage="prospect")
    client = login(cast["rep_a"])
    url = reverse("customers:list")
    assert _names(client.get(url, {"owner": "pool"})) == {"精电科技有限公司"}
    assert _names(client.get(url, {"owner": "me"})) == {"华为技术有限公司"}
    assert _names(client.get(url, {"stage": "prospect"})) == {"华为技术有限公司"}
    assert _names(client.get(url, {"tag": "华南"})) == {"华为技术有限公司"}
    assert _names(client.get(url, {"province": "江苏"})) == {"精电科技有限公司"}
    assert _names(client.get(url, {"kind": "person"})) == set()


def test_admin_sorts_by_code_both_ways(cast, login):
    client = login(cast["admin"])
    body = client.get(reverse("customers:list"), {"sort": "code"}).content.decode()
    assert body.index("C00001") < body.index("C00004")
    body = client.get(reverse("customers:list"), {"sort": "-code"}).content.decode()
    assert body.index("C00004") < body.index("C00001")


def test_rep_a_htmx_search_returns_only_the_table(cast, login):
    response = login(cast["rep_a"]).get(reverse("customers:list"), {"q": "hwjs"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="customer-table"' in body and "华为技术有限公司" in body
    assert "<nav class=\"navbar" not in body and 'role="search"' not in body
    assert "HX-Request" in response["Vary"]


def test_rep_a_list_paginates(cast, login):
    for i in range(55):
        make_customer(cast["rep_a"], f"分页客户{i:02d}", f"P{i:05d}")
    client = login(cast["rep_a"])
    first = client.get(reverse("customers:list"), {"owner": "me"})
    assert len(_names(first)) == 50 and b'rel="next"' in first.content
    second = client.get(reverse("customers:list"), {"owner": "me", "page": 2})
    assert len(_names(second)) == 6 and b'rel="next"' not in second.content


def _list_queries(client, django_assert_num_queries, expected_rows, queries):
    with django_assert_num_queries(queries):
        response = client.get(reverse("customers:list"), {"owner": "me"})
    assert len(_names(response)) == expected_rows


# Session, user, rows, bounded count, then ONE query for the filter choices (owners, provinces,
# industries, tags), the rows' tags and the header's counts (selectors.list_page_extras).
LIST_QUERIES = 5


def test_rep_b_list_query_count_is_the_same_for_1_and_30_rows(cast, login, django_assert_num_queries):
    client = login(cast["rep_b"])
    customer_update(actor=cast["rep_b"], customer=cast["customer_b"], data={}, tags=["重点"])
    _list_queries(client, django_assert_num_queries, 1, LIST_QUERIES)
    tag = Tag.objects.get(name="重点")
    for i in range(29):
        c = make_customer(cast["rep_b"], f"批量客户{i:02d}", f"Q{i:05d}", province="上海")
        c.tags.add(tag)
    _list_queries(client, django_assert_num_queries, 30, LIST_QUERIES)


def test_director_list_query_count_is_the_same_for_1_and_30_rows(cast, login, django_assert_num_queries):
    client = login(cast["director"])
    make_customer(cast["director"], "总监客户", "D00000")
    # A manager's scope asks once per request for the members of the teams they manage (the
    # navigation's count of quotes waiting for their approval rides on the choices' query).
    _list_queries(client, django_assert_num_queries, 1, LIST_QUERIES + 1)
    for i in range(29):
        make_customer(cast["director"], f"总监客户{i:02d}", f"D{i + 1:05d}")
    _list_queries(client, django_assert_num_queries, 30, LIST_QUERIES + 1)


# ---- detail -------------------------------------------------------------------------------------

def test_rep_a_sees_pool_customer_with_a_claim_button(cast, login_en):
    response = login_en(cast["rep_a"]).get(reverse("customers:detail", args=[cast["pool_customer"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="in-pool"' in body
    assert reverse("customers:claim", args=[cast["pool_customer"].pk]) in body
    assert reverse("customers:edit", args=[cast["pool_customer"].pk]) not in body


def test_rep_a_sees_own_customer_with_edit_merge_release_but_no_delete(cast, login):
    body = login(cast["rep_a"]).get(reverse("customers:detail", args=[cast["customer_a"].pk])).content.decode()
    pk = cast["customer_a"].pk
    for name in ("edit", "merge", "release", "contact-create"):
        assert reverse(f"customers:{name}", args=[pk]) in body
    assert reverse("customers:delete", args=[pk]) not in body
    assert reverse("customers:claim", args=[pk]) not in body


def test_manager_a_sees_delete_button(cast, login):
    body = login(cast["manager_a"]).get(reverse("customers:detail", args=[cast["customer_a"].pk])).content.decode()
    assert reverse("customers:delete", args=[cast["customer_a"].pk]) in body


def test_finance_sees_rep_b_customer_with_edit_credit_only(cast, login_en):
    response = login_en(cast["finance"]).get(reverse("customers:detail", args=[cast["customer_b"].pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Edit credit" in body
    assert reverse("customers:merge", args=[cast["customer_b"].pk]) not in body
    assert reverse("customers:delete", args=[cast["customer_b"].pk]) not in body


def test_detail_shows_profile_sections_data_card_and_contacts(cast, login_en):
    customer = cast["customer_a"]
    customer_update(actor=cast["admin"], customer=customer, data={"fund_status": "tight"},
                    credit={"credit_limit": "1234567.5", "currency": "CNY"}, profile={"size": "20万人"})
    contact_create(actor=cast["rep_a"], customer=customer, data={"name": "任正非", "decision_role": "decision_maker", "wechat": "ren_wx"})
    body = login_en(cast["rep_a"]).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    # The section with a value has its card; the three with nothing recorded share one line (issue 10, item 17).
    assert body.count('data-testid="profile-section"') == 1
    assert body.count('data-testid="profile-empty"') == 1
    assert "20万人" in body and "Tight" in body and "¥1,234,567.50" in body
    assert "任正非" in body and "Decision maker" in body and "ren_wx" in body


def test_rep_a_sees_bank_account_masked_and_admin_sees_it_whole(cast, login):
    customer_update(actor=cast["admin"], customer=cast["customer_a"], data={"bank_account": BANK})
    url = reverse("customers:detail", args=[cast["customer_a"].pk])
    rep_body = login(cast["rep_a"]).get(url).content.decode()
    assert BANK not in rep_body  # neither on the data card nor in the history
    assert "6222***********3445" in rep_body
    admin_body = login(cast["admin"]).get(url).content.decode()
    assert BANK in admin_body


def test_rep_with_sensitive_right_sees_bank_account(cast, login):
    customer_update(actor=cast["admin"], customer=cast["customer_a"], data={"bank_account": BANK})
    cast["rep_a"].can_view_sensitive = True
    cast["rep_a"].save()
    assert BANK in login(cast["rep_a"]).get(reverse("customers:detail", args=[cast["customer_a"].pk])).content.decode()


def test_rep_a_sees_contact_id_number_masked_in_history(cast, login):
    contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "李四", "id_number": "110101199003071234"})
    body = login(cast["rep_a"]).get(reverse("customers:detail", args=[cast["customer_a"].pk])).content.decode()
    assert "110101199003071234" not in body and "1101**********1234" in body


def test_history_shows_readable_changes_with_names(cast, login_en):
    customer_update(actor=cast["rep_a"], customer=cast["customer_a"], data={"phone": "0755-1", "lead_source": "referral"}, stage="prospect")
    body = login_en(cast["rep_a"]).get(reverse("customers:detail", args=[cast["customer_a"].pk])).content.decode()
    history = body[body.index('data-testid="history"'):]
    assert "Phone:" in history and "0755-28780808" in history and "0755-1" in history
    assert "Lead source:" in history and "Customer referral" in history
    assert "Lifecycle stage:" in history and "Prospect" in history
    assert "rep_a" in history


def test_detail_referrer_not_linked_when_not_visible(cast, login):
    customer_update(actor=cast["admin"], customer=cast["customer_a"], data={"referrer_customer": cast["customer_b"]})
    body = login(cast["rep_a"]).get(reverse("customers:detail", args=[cast["customer_a"].pk])).content.decode()
    referrer = body[body.index('data-testid="referrer"'):][:600]
    assert "信疗医疗器械有限公司" in referrer
    assert reverse("customers:detail", args=[cast["customer_b"].pk]) not in referrer


# ---- create -------------------------------------------------------------------------------------

def _company(**extra):
    data = {"kind": "company", "name": "新客户科技有限公司", "currency": "CNY"}
    data.update(extra)
    return data


def test_rep_a_creates_customer_owned_by_self_with_tags(cast, login):
    response = login(cast["rep_a"]).post(reverse("customers:create"), _company(tag_names="华南, 展会，华南", lead_source="conference"))
    customer = Customer.objects.get(name="新客户科技有限公司")
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.owner == cast["rep_a"] and customer.stage == "target" and customer.lead_source == "conference"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["华南", "展会"]
    assert customer.company_profile is not None
    event = AuditEvent.objects.get(customer=customer, verb="create")
    assert event.actor == cast["rep_a"] and event.changes["tags"] == [None, ["华南", "展会"]]


def test_rep_a_crafted_create_cannot_set_owner_code_stage_or_audit_fields(cast, login):
    login(cast["rep_a"]).post(reverse("customers:create"), _company(
        owner=cast["rep_b"].pk, code="HACK1", stage="vip", is_key_account="on", credit_limit="900000",
        created_at="2000-01-01T00:00:00Z", is_deleted="on", deleted_by=cast["admin"].pk, merged_into=cast["customer_b"].pk,
    ))
    customer = Customer.objects.get(name="新客户科技有限公司")
    assert customer.owner == cast["rep_a"]
    assert customer.code != "HACK1" and customer.code.startswith("C")
    assert customer.stage == "target" and not customer.is_key_account
    assert customer.credit_limit is None  # a rep may not set credit
    assert not customer.is_deleted and customer.merged_into is None and customer.created_at.year > 2000


def test_manager_a_sets_credit_limit_on_create(cast, login):
    login(cast["manager_a"]).post(reverse("customers:create"), _company(credit_limit="50000.5", currency="USD"))
    customer = Customer.objects.get(name="新客户科技有限公司")
    assert str(customer.credit_limit) == "50000.50" and customer.currency == "USD"


def test_rep_a_gets_clear_message_for_invalid_uscc(cast, login_en):
    response = login_en(cast["rep_a"]).post(reverse("customers:create"), _company(uscc="914403001922038217"))
    assert response.status_code == 200
    assert "is not a valid unified social credit code" in response.content.decode()
    assert not Customer.objects.filter(name="新客户科技有限公司").exists()


def test_rep_a_cannot_create_same_uscc_even_when_confirming(cast, login_en):
    customer_update(actor=cast["admin"], customer=cast["customer_b"], data={"uscc": USCC_A})
    response = login_en(cast["rep_a"]).post(reverse("customers:create"), _company(uscc=USCC_A, allow_duplicate="on"))
    body = response.content.decode()
    assert response.status_code == 200
    assert not Customer.objects.filter(name="新客户科技有限公司").exists()
    assert "C00003" in body and "信疗医疗器械有限公司" in body and "rep_b" in body
    assert reverse("customers:detail", args=[cast["customer_b"].pk]) not in body  # rep_a may not see it
    assert 'name="allow_duplicate"' not in body


def test_rep_a_creates_same_name_only_after_confirming(cast, login_en):
    client = login_en(cast["rep_a"])
    data = _company(name="华为技术有限公司")
    response = client.post(reverse("customers:create"), data)
    body = response.content.decode()
    assert response.status_code == 200 and Customer.objects.filter(name="华为技术有限公司").count() == 1
    assert reverse("customers:detail", args=[cast["customer_a"].pk]) in body  # visible: Open
    assert reverse("customers:merge", args=[cast["customer_a"].pk]) in body  # editable: Merge
    assert 'name="allow_duplicate"' in body
    response = client.post(reverse("customers:create"), {**data, "allow_duplicate": "on"})
    assert response.status_code == 302 and Customer.objects.filter(name="华为技术有限公司").count() == 2


def test_rep_a_duplicate_check_shows_invisible_match_without_link(cast, login_en):
    response = login_en(cast["rep_a"]).get(reverse("customers:duplicate-check"), {"name": "信疗医疗器械", "phone": "", "uscc": ""})
    body = response.content.decode()
    assert "C00003" in body and "rep_b" in body and "same name" in body
    assert reverse("customers:detail", args=[cast["customer_b"].pk]) not in body


def test_rep_a_duplicate_check_links_visible_match_by_phone(cast, login_en):
    body = login_en(cast["rep_a"]).get(reverse("customers:duplicate-check"), {"name": "", "phone": "0755 2878 0808"}).content.decode()
    assert "same phone" in body and reverse("customers:detail", args=[cast["customer_a"].pk]) in body


def test_rep_a_duplicate_check_on_edit_excludes_the_record_itself(cast, login):
    pk = cast["customer_a"].pk
    body = login(cast["rep_a"]).get(reverse("customers:duplicate-check"), {"name": "华为技术有限公司", "exclude": pk}).content.decode()
    assert "C00001" not in body


def test_finance_cannot_create_customers(cast, login):
    response = login(cast["finance"]).post(reverse("customers:create"), _company())
    assert response.status_code == 302 and not Customer.objects.filter(name="新客户科技有限公司").exists()
    assert login(cast["finance"]).get(reverse("customers:duplicate-check"), {"name": "华为技术"}).content == b""


# ---- edit ---------------------------------------------------------------------------------------

def _edit_data(customer, **changes):
    data = {
        "kind": customer.kind, "name": customer.name, "phone": customer.phone, "province": customer.province,
        "city": customer.city, "industry": customer.industry, "stage": customer.stage, "currency": customer.currency,
    }
    data.update(changes)
    return data


def test_rep_a_edits_own_customer_and_the_diff_is_audited(cast, login):
    customer = cast["customer_a"]
    response = login(cast["rep_a"]).post(reverse("customers:edit", args=[customer.pk]), _edit_data(
        customer, phone="0755-88888888", tag_names="战略", stage="qualified", **{"profile-size": "大型"},
    ))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "0755-88888888" and customer.stage == "qualified" and customer.stage_changed_at
    assert customer.company_profile.size == "大型"
    event = AuditEvent.objects.filter(customer=customer, verb="update").get()
    assert event.changes["phone"] == ["0755-28780808", "0755-88888888"]
    assert event.changes["stage"] == ["target", "qualified"]
    assert event.changes["tags"] == [[], ["战略"]]
    assert event.changes["profile.size"] == ["", "大型"]
    assert "name" not in event.changes


def test_rep_a_crafted_edit_cannot_set_owner_code_or_signed_stage(cast, login):
    customer = cast["customer_a"]
    client = login(cast["rep_a"])
    client.post(reverse("customers:edit", args=[customer.pk]), _edit_data(customer, owner=cast["rep_b"].pk, code="HACK", is_key_account="on"))
    response = client.post(reverse("customers:edit", args=[customer.pk]), _edit_data(customer, stage="signed"))
    assert response.status_code == 200  # the stage choice is refused with a form error
    customer.refresh_from_db()
    assert customer.owner == cast["rep_a"] and customer.code == "C00001" and not customer.is_key_account
    assert customer.stage == "target"


def test_signed_stage_is_shown_read_only_on_edit(cast, login_en):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(stage="signed")
    body = login_en(cast["rep_a"]).get(reverse("customers:edit", args=[cast["customer_a"].pk])).content.decode()
    assert 'name="stage"' not in body and "not by hand" in body


def test_rep_a_edit_with_masked_bank_account_left_empty_keeps_it(cast, login):
    customer_update(actor=cast["admin"], customer=cast["customer_a"], data={"bank_account": BANK})
    client = login(cast["rep_a"])
    url = reverse("customers:edit", args=[cast["customer_a"].pk])
    assert BANK not in client.get(url).content.decode()
    client.post(url, _edit_data(cast["customer_a"], bank_account="", city="广州市"))
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].bank_account == BANK and cast["customer_a"].city == "广州市"


def test_rep_a_sets_referrer_by_visible_code_only(cast, login_en):
    client = login_en(cast["rep_a"])
    url = reverse("customers:edit", args=[cast["customer_a"].pk])
    response = client.post(url, _edit_data(cast["customer_a"], referrer_code="C00003"))
    assert response.status_code == 200 and "No customer with code C00003 that you can see." in response.content.decode()
    client.post(url, _edit_data(cast["customer_a"], referrer_code="c00004", referrer_agent="老王"))
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].referrer_customer == cast["pool_customer"] and cast["customer_a"].referrer_agent == "老王"


def test_finance_edits_only_credit_and_data_card(cast, login_en):
    customer = cast["customer_b"]
    client = login_en(cast["finance"])
    url = reverse("customers:edit", args=[customer.pk])
    body = client.get(url).content.decode()
    assert 'name="credit_limit"' in body and 'name="name"' not in body and 'name="phone"' not in body
    response = client.post(url, {"credit_limit": "80000", "currency": "CNY", "fund_status": "short",
                                 "payment_attitude": "delayed", "name": "改名", "phone": "1", "kind": "person"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert str(customer.credit_limit) == "80000.00" and customer.fund_status == "short" and customer.payment_attitude == "delayed"
    assert customer.name == "信疗医疗器械有限公司" and customer.phone == "13800138000" and customer.kind == "company"


def test_rep_a_cannot_edit_pool_customer_and_is_sent_back(cast, login):
    pool = cast["pool_customer"]
    response = login(cast["rep_a"]).post(reverse("customers:edit", args=[pool.pk]), _edit_data(pool, name="抢先改名"))
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[pool.pk])
    pool.refresh_from_db()
    assert pool.name == "精电科技有限公司"


def test_rep_a_edit_to_an_existing_uscc_is_refused(cast, login_en):
    customer_update(actor=cast["admin"], customer=cast["customer_b"], data={"uscc": USCC_A})
    response = login_en(cast["rep_a"]).post(reverse("customers:edit", args=[cast["customer_a"].pk]), _edit_data(cast["customer_a"], uscc=USCC_A))
    assert response.status_code == 200 and "Another customer already has this unified social credit code." in response.content.decode()
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].uscc == ""


# ---- delete and restore -----------------------------------------------------------------------

def test_rep_a_cannot_delete_own_customer(cast, login):
    response = login(cast["rep_a"]).post(reverse("customers:delete", args=[cast["customer_a"].pk]))
    assert response.status_code == 302
    cast["customer_a"].refresh_from_db()
    assert not cast["customer_a"].is_deleted


def test_manager_deletes_after_confirming_and_admin_restores_whole(cast, login, client):
    customer = cast["customer_a"]
    contact = contact_create(actor=cast["rep_a"], customer=customer, data={"name": "任正非"})
    manager = login(cast["manager_a"])
    url = reverse("customers:delete", args=[customer.pk])
    assert b'data-testid="confirm-delete"' in manager.get(url).content
    customer.refresh_from_db()
    assert not customer.is_deleted  # GET only asks
    assert manager.post(url).status_code == 302
    customer.refresh_from_db()
    assert customer.is_deleted and customer.deleted_by == cast["manager_a"]
    assert manager.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert login(cast["rep_a"]).get(reverse("customers:detail", args=[customer.pk])).status_code == 404

    admin = login(cast["admin"])
    assert "华为技术有限公司" in admin.get(reverse("customers:recycle-bin")).content.decode()
    response = admin.post(reverse("customers:restore", args=[customer.pk]))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert not customer.is_deleted and customer.owner == cast["rep_a"]
    assert list(customer.contacts.filter(is_deleted=False)) == [contact]
    assert {"create", "delete", "restore"} <= set(customer.audit_events.values_list("verb", flat=True))


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "director", "finance"])
def test_non_admin_gets_404_for_recycle_bin_and_restore(cast, login, who):
    cast["customer_a"].is_deleted = True
    cast["customer_a"].save()
    client = login(cast[who])
    assert client.get(reverse("customers:recycle-bin")).status_code == 404
    assert client.post(reverse("customers:restore", args=[cast["customer_a"].pk])).status_code == 404
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].is_deleted


# ---- merge --------------------------------------------------------------------------------------

def test_rep_a_merges_pool_duplicate_into_own_record(cast, login_en):
    kept = cast["customer_a"]
    dup = make_customer(None, "华为技术", "C00099", industry="通信", website="huawei.com")
    contact_create(actor=cast["admin"], customer=dup, data={"name": "郭平"})
    customer_update(actor=cast["admin"], customer=dup, data={"city": "东莞"}, tags=["旧"])
    client = login_en(cast["rep_a"])
    url = reverse("customers:merge", args=[kept.pk])
    page = client.get(url).content.decode()
    assert "C00099" in page  # proposed: same normalised name
    compare = client.get(url, {"other": dup.pk}).content.decode()
    assert 'data-testid="merge-compare"' in compare and 'value="this"' in compare
    response = client.post(url, {"other": dup.pk, "keep": "this"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[kept.pk])
    message = str(list(response.context["messages"])[0])
    assert "C00099 was merged into C00001" in message and "contacts: 1" in message
    dup.refresh_from_db()
    kept.refresh_from_db()
    assert dup.is_deleted and dup.merged_into == kept
    assert kept.contacts.filter(name="郭平").exists() and kept.website == "huawei.com"
    assert kept.tags.filter(name="旧").exists()
    assert CustomerMerge.objects.get().moved_counts["contacts"] == 1
    assert kept.audit_events.filter(verb="merge").exists()
    assert kept.audit_events.filter(object_id=dup.pk, verb="update").exists()  # history moved


def test_rep_a_finds_merge_candidates_only_among_visible(cast, login):
    body = login(cast["rep_a"]).get(reverse("customers:merge", args=[cast["customer_a"].pk]), {"q": "有限公司"}).content.decode()
    assert "C00004" in body and "C00003" not in body and "C00002" not in body


def test_rep_a_cannot_fold_own_record_into_pool_record(cast, login):
    # A rep may fold a pool record into their own, not the other way round (the pool record is not theirs).
    client = login(cast["rep_a"])
    url = reverse("customers:merge", args=[cast["customer_a"].pk])
    body = client.get(url, {"other": cast["pool_customer"].pk}).content.decode()
    assert 'value="this"' in body and 'value="other"' not in body
    client.post(url, {"other": cast["pool_customer"].pk, "keep": "other"})
    cast["customer_a"].refresh_from_db()
    assert not cast["customer_a"].is_deleted and not CustomerMerge.objects.exists()


# ---- contacts -----------------------------------------------------------------------------------

def test_rep_a_adds_contact_on_its_own_page(cast, login):
    url = reverse("customers:contact-create", args=[cast["customer_a"].pk])
    client = login(cast["rep_a"])
    assert b'data-testid="contact-form"' in client.get(url).content
    response = client.post(url, {"name": "孟晚舟", "decision_role": "decision_maker", "principal_role": "manager", "phone": "13900000000",
                                 "customer": cast["customer_b"].pk})
    assert response.status_code == 302
    contact = Contact.objects.get(name="孟晚舟")
    assert contact.customer == cast["customer_a"] and contact.decision_role == "decision_maker"
    assert AuditEvent.objects.filter(customer=cast["customer_a"], object_type="contact", verb="create").exists()


def test_rep_a_adds_contact_inline_with_htmx(cast, login):
    url = reverse("customers:contact-create", args=[cast["customer_a"].pk])
    client = login(cast["rep_a"])
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-post="%s"' % url in form and "<nav" not in form
    invalid = client.post(url, {"name": ""}, HTTP_HX_REQUEST="true")
    assert invalid.status_code == 200 and 'id="contact-form"' in invalid.content.decode()
    response = client.post(url, {"name": "孟晚舟"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("customers:detail", args=[cast["customer_a"].pk]))
    assert Contact.objects.filter(customer=cast["customer_a"], name="孟晚舟").exists()


def test_rep_a_edits_contact_and_masked_id_number_is_kept(cast, login):
    contact = contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "李四", "id_number": "110101199003071234"})
    client = login(cast["rep_a"])
    url = reverse("customers:contact-edit", args=[contact.pk])
    assert "110101199003071234" not in client.get(url).content.decode()
    assert client.post(url, {"name": "李四", "title": "CTO", "id_number": ""}).status_code == 302
    contact.refresh_from_db()
    assert contact.title == "CTO" and contact.id_number == "110101199003071234"


def test_admin_sees_contact_id_number_in_edit_form(cast, login):
    contact = contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "李四", "id_number": "110101199003071234"})
    assert "110101199003071234" in login(cast["admin"]).get(reverse("customers:contact-edit", args=[contact.pk])).content.decode()


def test_rep_a_deletes_contact_after_confirming(cast, login):
    contact = contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "李四"})
    client = login(cast["rep_a"])
    url = reverse("customers:contact-delete", args=[contact.pk])
    assert b'data-testid="confirm-delete"' in client.get(url).content
    contact.refresh_from_db()
    assert not contact.is_deleted
    assert client.post(url).status_code == 302
    contact.refresh_from_db()
    assert contact.is_deleted
    body = client.get(reverse("customers:detail", args=[cast["customer_a"].pk])).content.decode()
    assert "李四" not in body[body.index('id="contacts"'):body.index('id="history"')]


def test_rep_a2_gets_404_for_rep_a_contact(cast, login):
    contact = contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "李四"})
    assert login(cast["rep_a2"]).get(reverse("customers:contact-edit", args=[contact.pk])).status_code == 404


def test_finance_cannot_add_contacts_and_is_sent_back(cast, login):
    url = reverse("customers:contact-create", args=[cast["customer_b"].pk])
    response = login(cast["finance"]).post(url, {"name": "财务加的"})
    assert response.status_code == 302 and not Contact.objects.filter(name="财务加的").exists()


def test_rep_a_keeps_a_referrer_they_cannot_see_when_saving(cast, login):
    referrer_contact = contact_create(actor=cast["rep_b"], customer=cast["customer_b"], data={"name": "推荐人"})
    customer_update(actor=cast["admin"], customer=cast["customer_a"],
                    data={"referrer_customer": cast["customer_b"], "referrer_contact": referrer_contact})
    client = login(cast["rep_a"])
    url = reverse("customers:edit", args=[cast["customer_a"].pk])
    assert "推荐人" not in client.get(url).content.decode()  # rep_a sees no contact of rep_b's customer
    response = client.post(url, _edit_data(cast["customer_a"], referrer_code="C00003", city="珠海市"))
    assert response.status_code == 302
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].city == "珠海市"
    assert cast["customer_a"].referrer_customer == cast["customer_b"] and cast["customer_a"].referrer_contact == referrer_contact


def test_rep_a_chooses_referrer_contact_of_a_visible_referrer(cast, login):
    pool_contact = contact_create(actor=cast["admin"], customer=cast["pool_customer"], data={"name": "池中联系人"})
    client = login(cast["rep_a"])
    url = reverse("customers:edit", args=[cast["customer_a"].pk])
    client.post(url, _edit_data(cast["customer_a"], referrer_code="C00004"))
    assert "池中联系人" in client.get(url).content.decode()
    client.post(url, _edit_data(cast["customer_a"], referrer_code="C00004", referrer_contact=pool_contact.pk))
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].referrer_contact == pool_contact
    client.post(url, _edit_data(cast["customer_a"], referrer_code=""))
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].referrer_customer is None and cast["customer_a"].referrer_contact is None


def test_rep_a_creates_person_and_fills_person_profile_on_edit(cast, login):
    client = login(cast["rep_a"])
    client.post(reverse("customers:create"), {"kind": "person", "name": "王先生", "phone": "13700000000", "currency": "CNY"})
    person = Customer.objects.get(name="王先生")
    assert person.kind == "person" and person.person_profile is not None
    url = reverse("customers:edit", args=[person.pk])
    assert 'name="profile-id_number"' in client.get(url).content.decode()
    response = client.post(url, _edit_data(person, **{"profile-gender": "male", "profile-id_number": "110101199003071234",
                                                       "profile-birth_date": "1990-03-07"}))
    assert response.status_code == 302
    person.person_profile.refresh_from_db()
    assert person.person_profile.gender == "male" and str(person.person_profile.birth_date) == "1990-03-07"
    body = client.get(reverse("customers:detail", args=[person.pk])).content.decode()
    assert "110101199003071234" not in body and "1101**********1234" in body
    client.post(url, _edit_data(person, **{"profile-gender": "male", "profile-id_number": ""}))
    person.person_profile.refresh_from_db()
    assert person.person_profile.id_number == "110101199003071234"  # masked and left empty: kept


def test_rep_a_gets_a_clear_message_for_uscc_on_a_person(cast, login_en):
    response = login_en(cast["rep_a"]).post(reverse("customers:create"), {"kind": "person", "name": "李女士", "uscc": "914403001922038216", "currency": "CNY"})
    assert response.status_code == 200 and "A person customer has no unified social credit code." in response.content.decode()


def _detail_queries(client, customer):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_rep_a_detail_query_count_does_not_grow_with_contacts_and_history(cast, login):
    customer = cast["customer_a"]
    client = login(cast["rep_a"])
    contact_create(actor=cast["rep_a"], customer=customer, data={"name": "联系人0"})
    customer_update(actor=cast["rep_a"], customer=customer, data={"phone": "1"}, tags=["甲"])
    CompanySettings.load()  # made on first use
    # Session, user, unread notifications, customer, tags, contacts, profile, history, the
    # follow-up panel (contacts for the form, open plans, timeline activities, pool events) and
    # the key-account archive panel (sections, spend) = 14; then the selling panels: the
    # qualification checklist (items, ticks), opportunities + quotes (2) and the open
    # opportunities offered by the follow-up forms, contracts + orders (2), finance (payments,
    # receivables, instalments, signed status, credit use (2)), and one timeline source each for
    # quotes, contracts, orders and payments = 31; the ranking panel (the latest runs, the tier
    # policies) = 33; less the quotes and the audit events, each read once for two panels
    # (issue 13: the deals panel and the timeline, the history and the timeline) = 31.
    # Issue 13, second pass: the profile and the tags with the customer, the checklist in one query,
    # the open plans with the timeline's activities, the open opportunities with the deals panel's,
    # contracts, orders and payments once for the timeline and the panels, the latest runs with
    # the customer's results, the receivables, instalments, signed status and credit use in one = 19;
    # then the checklist, the pool events and the referrer's visibility with the customer, and the
    # ranking and archive panels drawn after the page (customers:panels) = 13.
    assert _detail_queries(client, customer) == 13
    for i in range(1, 15):
        contact_create(actor=cast["rep_a"], customer=customer, data={"name": f"联系人{i}"})
        customer_update(actor=cast["rep_a"], customer=customer, data={"phone": str(i + 1)}, tags=[f"标签{i}"])
    customer_update(actor=cast["admin"], customer=customer, data={"referrer_customer": cast["pool_customer"]})
    # The same: the customer the history names is the referrer, read with the customer, and so is
    # whether rep_a may open it.
    assert _detail_queries(client, customer) == 13

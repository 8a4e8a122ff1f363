"""The record services: create with de-duplication, audited updates, stage by hand, contacts."""

import pytest
from django.core.exceptions import PermissionDenied

from conftest import make_customer
from kehu.core.models import AuditEvent
from kehu.customers.errors import CustomerError, DuplicateCustomer
from kehu.customers.models import Customer, Tag
from kehu.customers.services.records import (
    contact_create,
    contact_update,
    customer_create,
    customer_find_duplicates,
    customer_set_stage,
    customer_update,
)

USCC_A = "914403001922038216"
USCC_B = "91310000717854505W"


# ---- create and de-duplication -----------------------------------------------------------------

def test_rep_a_create_owns_it_starts_as_target_and_gets_a_code(cast):
    customer = customer_create(actor=cast["rep_a"], data={"name": "新客户有限公司", "kind": "company", "owner": cast["rep_b"], "stage": "vip"})
    assert customer.owner == cast["rep_a"] and customer.stage == "target" and customer.stage_changed_at
    assert customer.code.startswith("C") and customer.code not in {"C00001", "C00002", "C00003", "C00004"}
    assert customer.name_initials == "xkhyxgs"


def test_admin_create_goes_to_the_pool(cast):
    customer = customer_create(actor=cast["admin"], data={"name": "管理员录入", "kind": "company"})
    assert customer.owner is None and customer.in_pool


def test_finance_may_not_create(cast):
    with pytest.raises(PermissionDenied):
        customer_create(actor=cast["finance"], data={"name": "财务客户", "kind": "company"})


def test_same_uscc_blocks_even_when_duplicates_are_allowed(cast):
    customer_update(actor=cast["admin"], customer=cast["customer_b"], data={"uscc": USCC_A})
    with pytest.raises(DuplicateCustomer) as exc:
        customer_create(actor=cast["rep_a"], data={"name": "完全不同的名字", "kind": "company", "uscc": USCC_A.lower()},
                        allow_possible_duplicate=True)
    assert exc.value.blocking
    assert [(m.reason, m.customer.code) for m in exc.value.matches] == [("uscc", "C00003")]
    assert not Customer.objects.filter(name="完全不同的名字").exists()


def test_same_normalised_name_needs_confirmation(cast):
    with pytest.raises(DuplicateCustomer) as exc:
        customer_create(actor=cast["rep_a"], data={"name": "华为技术（深圳）有限公司", "kind": "company"})
    assert not exc.value.blocking
    assert [(m.reason, m.customer.code) for m in exc.value.matches] == [("name", "C00001")]
    created = customer_create(actor=cast["rep_a"], data={"name": "华为技术（深圳）有限公司", "kind": "company"}, allow_possible_duplicate=True)
    assert created.pk


def test_same_phone_of_a_contact_is_a_possible_duplicate_across_owners(cast):
    contact_create(actor=cast["rep_b"], customer=cast["customer_b"], data={"name": "王五", "phone": "+86 139 0000 1111"})
    matches = customer_find_duplicates(name="另一个名字", phone="13900001111")
    assert [(m.reason, m.customer.code) for m in matches] == [("phone", "C00003")]


def test_duplicates_ignore_the_recycle_bin(cast):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(is_deleted=True)
    assert customer_find_duplicates(name="华为技术有限公司") == []


def test_invalid_uscc_is_refused_with_a_message(cast):
    with pytest.raises(CustomerError) as exc:
        customer_create(actor=cast["rep_a"], data={"name": "校验失败", "kind": "company", "uscc": "914403001922038217"})
    assert "914403001922038217" in str(exc.value.message)


def test_failed_create_leaves_no_new_tag_behind(cast):
    with pytest.raises(DuplicateCustomer):
        customer_create(actor=cast["rep_a"], data={"name": "华为技术有限公司", "kind": "company"}, tags=["全新标签"])
    assert not Tag.objects.filter(name="全新标签").exists()


def test_create_records_tags_and_the_initial_values(cast):
    customer = customer_create(actor=cast["rep_a"], data={"name": "标签客户", "kind": "company", "phone": "021-1234567"}, tags=["甲", "乙", "甲"])
    assert sorted(customer.tags.values_list("name", flat=True)) == ["乙", "甲"]
    event = AuditEvent.objects.get(customer=customer)
    assert event.verb == "create" and event.changes["phone"] == [None, "021-1234567"]
    assert event.changes["owner"] == [None, cast["rep_a"].pk]


# ---- update and its audit diff ------------------------------------------------------------------

def test_update_audits_only_what_changed(cast):
    customer = customer_update(actor=cast["rep_a"], customer=cast["customer_a"],
                               data={"name": "华为技术有限公司", "phone": "0755-1", "city": "深圳", "influence": 4}, tags=["战略"])
    event = AuditEvent.objects.get(customer=customer, verb="update")
    assert event.actor == cast["rep_a"]
    assert event.changes == {"phone": ["0755-28780808", "0755-1"], "influence": [None, 4], "tags": [[], ["战略"]]}
    assert customer.phone_normalized == "07551"


def test_update_with_nothing_changed_writes_no_event(cast):
    customer_update(actor=cast["rep_a"], customer=cast["customer_a"], data={"city": "深圳"})
    assert not AuditEvent.objects.filter(customer=cast["customer_a"]).exists()


def test_update_ignores_fields_outside_the_editable_list(cast):
    customer = customer_update(actor=cast["rep_a"], customer=cast["customer_a"],
                               data={"owner": cast["rep_b"], "code": "X", "stage": "vip", "is_key_account": True})
    assert customer.owner == cast["rep_a"] and customer.code == "C00001" and customer.stage == "target" and not customer.is_key_account


def test_update_profile_changes_are_audited_with_their_prefix(cast):
    customer_update(actor=cast["rep_a"], customer=cast["customer_a"], data={}, profile={"size": "大型", "nonsense": "x"})
    event = AuditEvent.objects.get(customer=cast["customer_a"])
    assert event.changes == {"profile.size": ["", "大型"]}


def test_update_stage_and_fields_in_one_event(cast):
    customer = customer_update(actor=cast["rep_a"], customer=cast["customer_a"], data={"city": "广州"}, stage="qualified")
    assert customer.stage == "qualified" and customer.stage_changed_at
    event = AuditEvent.objects.get(customer=customer)
    assert event.changes == {"city": ["深圳", "广州"], "stage": ["target", "qualified"]}


def test_update_to_signed_by_hand_is_refused_and_nothing_is_written(cast):
    with pytest.raises(CustomerError):
        customer_update(actor=cast["rep_a"], customer=cast["customer_a"], data={"city": "广州"}, stage="signed")
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].city == "深圳" and cast["customer_a"].stage == "target"


def test_rep_b_may_not_update_rep_a_customer(cast):
    with pytest.raises(PermissionDenied):
        customer_update(actor=cast["rep_b"], customer=cast["customer_a"], data={"city": "x"})


def test_rep_may_not_set_credit(cast):
    with pytest.raises(PermissionDenied):
        customer_update(actor=cast["rep_a"], customer=cast["customer_a"], data={}, credit={"credit_limit": "1"})


def test_finance_updates_credit_fund_status_and_payment_attitude(cast):
    customer = customer_update(actor=cast["finance"], customer=cast["customer_b"],
                               data={"fund_status": "dangerous", "payment_attitude": "arrears"},
                               credit={"credit_limit": "100.005", "currency": "USD"})
    assert customer.fund_status == "dangerous" and customer.payment_attitude == "arrears"
    assert str(customer.credit_limit) == "100.01" and customer.currency == "USD"
    event = AuditEvent.objects.get(customer=customer)
    assert event.actor == cast["finance"] and event.changes["credit_limit"] == [None, "100.01"]


@pytest.mark.parametrize("kwargs", [
    {"data": {"name": "改名"}},
    {"data": {}, "tags": ["x"]},
    {"data": {}, "profile": {"size": "x"}},
    {"data": {}, "stage": "prospect"},
])
def test_finance_may_not_update_sales_data(cast, kwargs):
    with pytest.raises(PermissionDenied):
        customer_update(actor=cast["finance"], customer=cast["customer_b"], **kwargs)


def test_update_to_a_uscc_another_customer_has_is_refused(cast):
    customer_update(actor=cast["admin"], customer=cast["customer_b"], data={"uscc": USCC_B})
    with pytest.raises(DuplicateCustomer):
        customer_update(actor=cast["rep_a"], customer=cast["customer_a"], data={"uscc": USCC_B})


# ---- stage --------------------------------------------------------------------------------------

def test_rep_a_moves_stage_by_hand_with_timestamp_and_audit(cast):
    customer = customer_set_stage(actor=cast["rep_a"], customer=cast["customer_a"], stage="prospect")
    assert customer.stage == "prospect" and customer.stage_changed_at is not None
    assert AuditEvent.objects.get(customer=customer).changes == {"stage": ["target", "prospect"]}


@pytest.mark.parametrize("stage", ["signed", "vip"])
def test_signed_and_vip_cannot_be_set_by_hand(cast, stage):
    with pytest.raises(CustomerError):
        customer_set_stage(actor=cast["admin"], customer=cast["customer_a"], stage=stage)
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].stage == "target"


def test_derived_stage_is_set_by_services_and_then_locked_for_hand_changes(cast):
    customer = customer_set_stage(actor=None, customer=cast["customer_a"], stage="signed", by_hand=False)
    assert customer.stage == "signed"
    with pytest.raises(CustomerError):
        customer_set_stage(actor=cast["rep_a"], customer=customer, stage="prospect")


def test_unknown_stage_is_refused(cast):
    with pytest.raises(CustomerError):
        customer_set_stage(actor=cast["admin"], customer=cast["customer_a"], stage="won")


def test_rep_b_may_not_move_rep_a_stage(cast):
    with pytest.raises(PermissionDenied):
        customer_set_stage(actor=cast["rep_b"], customer=cast["customer_a"], stage="prospect")


def test_setting_the_same_stage_writes_nothing(cast):
    customer_set_stage(actor=cast["rep_a"], customer=cast["customer_a"], stage="target")
    assert not AuditEvent.objects.exists()


# ---- contacts -----------------------------------------------------------------------------------

def test_contact_update_audits_the_diff_on_the_customer(cast):
    contact = contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "张三", "phone": "138 0000 0000", "customer": cast["customer_b"]})
    assert contact.customer == cast["customer_a"] and contact.phone_normalized == "13800000000"
    contact_update(actor=cast["rep_a"], contact=contact, data={"title": "总经理", "name": "张三"})
    event = AuditEvent.objects.get(object_type="contact", verb="update")
    assert event.customer == cast["customer_a"] and event.changes == {"title": ["", "总经理"]}


def test_contact_needs_a_name(cast):
    with pytest.raises(CustomerError):
        contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "  "})


def test_person_customer_cannot_have_a_uscc(cast):
    customer = make_customer(cast["rep_a"], "张先生", "P00001", kind="person")
    with pytest.raises(CustomerError):
        customer_update(actor=cast["rep_a"], customer=customer, data={"uscc": USCC_A})

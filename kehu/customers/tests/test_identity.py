"""Who a customer is (DOMAIN §2): the USCC is the first key, so a same-name or same-phone match
with another USCC is a different legal entity — a warning, never a block; and the names typed in
the customer and contact forms follow the text rule of kehu.core.text."""

import pytest
from django.urls import reverse

from kehu.customers.models import Contact, Customer
from kehu.customers.services.records import customer_create, customer_update

pytestmark = [pytest.mark.django_db, pytest.mark.english]

USCC_A = "914403001922038216"
USCC_B = "91310000717854505W"


def test_rep_a_creates_a_same_name_company_with_another_uscc_without_confirming(cast):
    customer_update(actor=cast["admin"], customer=cast["customer_a"], data={"uscc": USCC_A})
    created = customer_create(actor=cast["rep_a"], data={"name": "华为技术（深圳）有限公司", "kind": "company", "uscc": USCC_B})
    assert created.pk and Customer.objects.filter(name_normalized=cast["customer_a"].name_normalized).count() == 2


def test_rep_a_creates_a_same_phone_company_with_another_uscc_without_confirming(cast):
    customer_update(actor=cast["admin"], customer=cast["customer_b"], data={"uscc": USCC_A})
    created = customer_create(actor=cast["rep_a"], data={"name": "新公司", "kind": "company", "uscc": USCC_B, "phone": "13800138000"})
    assert created.pk


def test_rep_a_same_name_with_a_uscc_still_needs_confirmation_when_the_match_has_none(cast, login):
    client = login(cast["rep_a"])
    data = {"kind": "company", "name": "华为技术有限公司", "uscc": USCC_B, "currency": "CNY"}
    response = client.post(reverse("customers:create"), data)
    assert response.status_code == 200 and 'name="allow_duplicate"' in response.content.decode()
    assert Customer.objects.filter(name="华为技术有限公司").count() == 1


def test_rep_a_create_page_takes_a_same_name_company_with_another_uscc_at_once(cast, login):
    customer_update(actor=cast["admin"], customer=cast["customer_a"], data={"uscc": USCC_A})
    client = login(cast["rep_a"])
    check = client.get(reverse("customers:duplicate-check"), {"name": "华为技术有限公司", "uscc": USCC_B}).content.decode()
    assert "C00001" in check and "alert-warning" in check  # still shown, as a warning
    response = client.post(reverse("customers:create"), {"kind": "company", "name": "华为技术有限公司", "uscc": USCC_B, "currency": "CNY"})
    assert response.status_code == 302
    assert Customer.objects.filter(name="华为技术有限公司").count() == 2


@pytest.mark.parametrize("char", ["\u202e", "\u2067", "\u200e", "\x00", "\x1b"])
def test_rep_a_create_form_refuses_a_direction_or_control_character_in_the_name(cast, login, char):
    response = login(cast["rep_a"]).post(reverse("customers:create"), {"kind": "company", "name": f"新{char}公司", "currency": "CNY"})
    assert response.status_code == 200
    assert f"U+{ord(char):04X}" in response.content.decode()
    assert not Customer.objects.filter(name__startswith="新").exists()


def test_rep_a_create_form_drops_zero_width_characters_from_the_name(cast, login):
    response = login(cast["rep_a"]).post(reverse("customers:create"), {"kind": "company", "name": "\u200b新\u200d客户\ufeff ", "currency": "CNY"})
    assert response.status_code == 302
    assert Customer.objects.filter(name="新客户").exists()


def test_rep_a_create_form_refuses_a_name_of_zero_width_characters_only(cast, login):
    response = login(cast["rep_a"]).post(reverse("customers:create"), {"kind": "company", "name": "\u200b\u2060", "currency": "CNY"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()


def test_rep_a_edit_form_refuses_a_right_to_left_override_in_the_name(cast, login):
    customer = cast["customer_a"]
    response = login(cast["rep_a"]).post(reverse("customers:edit", args=[customer.pk]), {"kind": "company", "name": "华为\u202e技术", "currency": "CNY"})
    assert response.status_code == 200 and "U+202E" in response.content.decode()
    customer.refresh_from_db()
    assert customer.name == "华为技术有限公司"


def test_rep_a_contact_form_refuses_a_direction_character_and_drops_zero_width_ones(cast, login):
    url = reverse("customers:contact-create", args=[cast["customer_a"].pk])
    client = login(cast["rep_a"])
    refused = client.post(url, {"name": "王\u202e五"})
    assert refused.status_code == 200 and "U+202E" in refused.content.decode()
    assert client.post(url, {"name": "王\u200b五"}).status_code == 302
    assert list(Contact.objects.filter(customer=cast["customer_a"]).values_list("name", flat=True)) == ["王五"]

"""Issue 10, item 6: two people edit the same record; the one who saves an older form must not
silently overwrite the other's change. The second save is refused with the changed field named
(the user's input kept); a save nobody raced goes through; the API answers 412 to an If-Match
that no longer holds."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from kehu.customers.models import ArchiveSection, CategorySpend, CompanyProfile, Contact, Customer
from kehu.customers.services.archive import archive_section_update, category_spend_set
from kehu.customers.services.records import contact_create, customer_update
from kehu.customers.tests.test_pages import _edit_data

pytestmark = pytest.mark.django_db

REFUSED = "Somebody else changed this record after you opened it."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _english_login(login, user):
    user.language = "en"
    user.save(update_fields=["language"])
    return login(user)


def _seen(html: str, prefix: str = "") -> str:
    match = re.search(rf'name="{prefix}seen" value="([^"]+)"', html)
    assert match, f"no {prefix}seen field in the form"
    return match.group(1)


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


# --- the customer form --------------------------------------------------------------------------

def test_rep_a_saving_an_older_customer_form_is_refused_naming_the_changed_field(cast, login, client):
    customer = cast["customer_a"]
    url = reverse("customers:edit", args=[customer.pk])
    rep = _english_login(login, cast["rep_a"])
    seen = _seen(rep.get(url).content.decode())  # rep_a opens the form …
    customer_update(actor=cast["manager_a"], customer=customer, data={"phone": "0755-11111111"})  # … the manager saves first
    response = rep.post(url, _edit_data(customer, seen=seen, notes="rep_a's notes"))
    assert response.status_code == 200
    body = response.content.decode()
    assert REFUSED in body
    assert "Phone: “0755-28780808” → “0755-11111111”" in body
    assert "rep_a&#x27;s notes" in body or "rep_a's notes" in body  # the input is kept
    fresh = _fresh(customer)
    assert fresh.phone == "0755-11111111" and fresh.notes == ""  # nothing overwritten
    # The refusal showed the change: saving again (now knowingly) goes through.
    again = rep.post(url, _edit_data(customer, seen=_seen(body), notes="rep_a's notes"))
    assert again.status_code == 302 and _fresh(customer).notes == "rep_a's notes"


def test_rep_a_saves_when_nobody_changed_the_customer_meanwhile(cast, login):
    customer = cast["customer_a"]
    url = reverse("customers:edit", args=[customer.pk])
    rep = login(cast["rep_a"])
    seen = _seen(rep.get(url).content.decode())
    assert rep.post(url, _edit_data(customer, seen=seen, notes="first")).status_code == 302
    seen = _seen(rep.get(url).content.decode())
    assert rep.post(url, _edit_data(_fresh(customer), seen=seen, notes="second")).status_code == 302
    assert _fresh(customer).notes == "second"


def test_a_change_to_a_field_the_form_does_not_edit_is_no_conflict(cast, login):
    """Finance changes the credit limit while rep_a (whose form has no credit fields) edits."""
    customer = cast["customer_a"]
    url = reverse("customers:edit", args=[customer.pk])
    rep = login(cast["rep_a"])
    seen = _seen(rep.get(url).content.decode())
    customer_update(actor=cast["finance"], customer=customer, data={}, credit={"credit_limit": Decimal("9000"), "currency": "CNY"})
    assert rep.post(url, _edit_data(customer, seen=seen, notes="fine")).status_code == 302
    fresh = _fresh(customer)
    assert fresh.notes == "fine" and fresh.credit_limit == Decimal("9000.00")


def test_tags_changed_meanwhile_are_named_by_name(cast, login):
    customer = cast["customer_a"]
    url = reverse("customers:edit", args=[customer.pk])
    rep = _english_login(login, cast["rep_a"])
    seen = _seen(rep.get(url).content.decode())
    customer_update(actor=cast["manager_a"], customer=customer, data={}, tags=["战略"])
    body = rep.post(url, _edit_data(customer, seen=seen, tag_names="")).content.decode()
    assert REFUSED in body and "Tags: “” → “战略”" in body
    assert list(_fresh(customer).tags.values_list("name", flat=True)) == ["战略"]


def test_the_company_profile_of_an_older_form_is_refused_too(cast, login):
    customer = cast["customer_a"]
    url = reverse("customers:edit", args=[customer.pk])
    rep = _english_login(login, cast["rep_a"])
    html = rep.get(url).content.decode()
    customer_update(actor=cast["manager_a"], customer=customer, data={}, profile={"size": "大型"})
    body = rep.post(url, _edit_data(customer, seen=_seen(html), **{"profile-seen": _seen(html, "profile-"),
                                                                  "profile-size": "小型"})).content.decode()
    assert REFUSED in body and "“大型”" in body
    assert CompanyProfile.objects.get(customer=customer).size == "大型"


def test_finance_saving_an_older_credit_form_is_refused(cast, login):
    customer = cast["customer_a"]
    url = reverse("customers:edit", args=[customer.pk])
    fin = _english_login(login, cast["finance"])
    html = fin.get(url).content.decode()
    assert 'name="credit_limit"' in html and 'name="name"' not in html  # the credit form
    customer_update(actor=cast["admin"], customer=customer, data={}, credit={"credit_limit": Decimal("7000"), "currency": "CNY"})
    body = fin.post(url, {"seen": _seen(html), "credit_limit": "1000", "currency": "CNY"}).content.decode()
    assert REFUSED in body and "Credit limit" in body
    assert _fresh(customer).credit_limit == Decimal("7000.00")


def test_the_seen_token_does_not_carry_a_masked_bank_account(cast, login):
    from kehu.core.forms import seen_load

    customer_update(actor=cast["admin"], customer=cast["customer_a"], data={"bank_account": "6222020200112233445"})
    html = login(cast["rep_a"]).get(reverse("customers:edit", args=[cast["customer_a"].pk])).content.decode()
    assert "bank_account" not in seen_load(_seen(html)) and "6222020200112233445" not in html


# --- contacts -----------------------------------------------------------------------------------

def test_rep_a_saving_an_older_contact_form_is_refused(cast, login):
    contact = contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "李工", "title": "工程师"})
    url = reverse("customers:contact-edit", args=[contact.pk])
    rep = _english_login(login, cast["rep_a"])
    seen = _seen(rep.get(url).content.decode())
    from kehu.customers.services.records import contact_update

    contact_update(actor=cast["manager_a"], contact=contact, data={"title": "总工程师"})
    body = rep.post(url, {"seen": seen, "name": "李工", "title": "工程师", "phone": "13800000000"}).content.decode()
    assert REFUSED in body and "Title: “工程师” → “总工程师”" in body
    assert _fresh(contact).title == "总工程师" and _fresh(contact).phone == ""
    # Nobody raced: saves.
    seen = _seen(rep.get(url).content.decode())
    assert rep.post(url, {"seen": seen, "name": "李工", "title": "总工程师", "phone": "13800000000"}).status_code == 302
    assert _fresh(contact).phone == "13800000000"


# --- the archive ----------------------------------------------------------------------------------

def test_two_people_writing_the_same_archive_section_first_wins_the_second_is_refused(cast, login):
    customer = cast["customer_a"]
    url = reverse("customers:archive-section-edit", args=[customer.pk, ArchiveSection.Section.PRODUCTION_SCALE])
    rep = _english_login(login, cast["rep_a"])
    seen = _seen(rep.get(url).content.decode())  # the section is still empty
    archive_section_update(actor=cast["manager_a"], customer=customer, section=ArchiveSection.Section.PRODUCTION_SCALE,
                           text="三个工厂")
    body = rep.post(url, {"seen": seen, "text": "两个工厂"}).content.decode()
    assert REFUSED in body and "“三个工厂”" in body
    row = ArchiveSection.objects.get(customer=customer, section=ArchiveSection.Section.PRODUCTION_SCALE)
    assert row.text == "三个工厂"
    assert rep.post(url, {"seen": _seen(body), "text": "两个工厂"}).status_code == 302
    assert _fresh(row).text == "两个工厂"


def test_an_older_spend_form_is_refused(cast, login):
    customer = cast["customer_a"]
    spend = category_spend_set(actor=cast["rep_a"], customer=customer, category="钢材", year=2023, annual_spend="1000.00")
    url = reverse("customers:archive-spend-edit", args=[spend.pk])
    rep = _english_login(login, cast["rep_a"])
    seen = _seen(rep.get(url).content.decode())
    category_spend_set(actor=cast["manager_a"], customer=customer, spend=spend, category="钢材", year=2023, annual_spend="2000.00")
    body = rep.post(url, {"seen": seen, "category": "钢材", "year": "2023", "annual_spend": "1500", "currency": "CNY"}).content.decode()
    assert REFUSED in body
    assert CategorySpend.objects.get(pk=spend.pk).annual_spend == Decimal("2000.00")

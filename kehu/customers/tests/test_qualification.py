"""The prospect qualification checklist (DOMAIN.md §3, 000): services, the customer-page panel
and the admin's settings page."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kehu.core.models import AuditEvent
from kehu.customers.models import Customer, CustomerStageChange, QualificationCheck, QualificationItem
from kehu.customers.errors import QualificationError
from kehu.customers.qualification import (
    qualification_check,
    qualification_items_save,
    qualification_uncheck,
)

pytestmark = [pytest.mark.django_db, pytest.mark.english]


def _stage(customer, stage):
    Customer.objects.filter(pk=customer.pk).update(stage=stage)
    customer.refresh_from_db()
    return customer


def _items():
    return list(QualificationItem.objects.filter(is_active=True).order_by("position", "id"))


def _reload(customer):
    return Customer.objects.get(pk=customer.pk)


def _url(customer):
    return reverse("customers:qualification", args=[customer.pk])


# --- services --------------------------------------------------------------------------------

def test_five_default_items_are_seeded():
    assert len(_items()) == 5


def test_rep_a_prospect_moves_to_qualified_exactly_when_the_last_active_item_is_checked(rep_a, customer_a):
    _stage(customer_a, "prospect")
    items = _items()
    for item in items[:-1]:
        outcome = qualification_check(actor=rep_a, customer=customer_a, item=item)
        assert outcome.qualified is False
        assert _reload(customer_a).stage == "prospect"
    outcome = qualification_check(actor=rep_a, customer=customer_a, item=items[-1], note="签约在 Q3")
    assert outcome.qualified is True
    customer = _reload(customer_a)
    assert customer.stage == "qualified" and customer.stage_changed_at is not None
    assert CustomerStageChange.objects.filter(customer=customer_a, from_stage="prospect", to_stage="qualified", user=rep_a).count() == 1
    assert AuditEvent.objects.filter(customer=customer_a, verb="update", changes__stage=["prospect", "qualified"]).exists()
    check = QualificationCheck.objects.get(customer=customer_a, item=items[-1])
    assert (check.checked_by, check.note) == (rep_a, "签约在 Q3")
    assert AuditEvent.objects.filter(customer=customer_a, object_type="qualificationcheck", verb="create").count() == 5


def test_checking_twice_is_one_check_and_changes_the_note(rep_a, customer_a):
    item = _items()[0]
    qualification_check(actor=rep_a, customer=customer_a, item=item, note="a")
    qualification_check(actor=rep_a, customer=customer_a, item=item, note="b")
    assert list(QualificationCheck.objects.filter(customer=customer_a).values_list("note", flat=True)) == ["b"]


def test_inactive_items_are_ignored(rep_a, customer_a):
    _stage(customer_a, "prospect")
    items = _items()
    QualificationItem.objects.filter(pk=items[-1].pk).update(is_active=False)
    for item in items[:-2]:
        qualification_check(actor=rep_a, customer=customer_a, item=item)
    assert _reload(customer_a).stage == "prospect"
    assert qualification_check(actor=rep_a, customer=customer_a, item=items[-2]).qualified is True
    assert _reload(customer_a).stage == "qualified"


def test_an_inactive_item_cannot_be_checked(rep_a, customer_a):
    item = _items()[0]
    QualificationItem.objects.filter(pk=item.pk).update(is_active=False)
    with pytest.raises(QualificationError):
        qualification_check(actor=rep_a, customer=customer_a, item=item)
    assert not QualificationCheck.objects.exists()


def test_a_checklist_without_active_items_qualifies_nobody(rep_a, customer_a):
    _stage(customer_a, "prospect")
    item = _items()[0]
    qualification_check(actor=rep_a, customer=customer_a, item=item)
    QualificationItem.objects.update(is_active=False)
    QualificationItem.objects.filter(pk=item.pk).update(is_active=True)
    qualification_check(actor=rep_a, customer=customer_a, item=item, note="again")  # one active item, checked: qualifies
    assert _reload(customer_a).stage == "qualified"
    other = _stage(customer_a, "prospect")
    QualificationItem.objects.update(is_active=False)
    from kehu.customers.qualification import _is_complete

    assert _is_complete(other) is False


def test_target_is_checked_but_does_not_jump_two_stages(rep_a, customer_a):
    assert customer_a.stage == "target"
    for item in _items():
        assert qualification_check(actor=rep_a, customer=customer_a, item=item).qualified is False
    assert _reload(customer_a).stage == "target"
    assert QualificationCheck.objects.filter(customer=customer_a).count() == 5


def test_uncheck_does_not_move_the_stage_back(rep_a, customer_a):
    _stage(customer_a, "prospect")
    items = _items()
    for item in items:
        qualification_check(actor=rep_a, customer=customer_a, item=item)
    assert _reload(customer_a).stage == "qualified"
    qualification_uncheck(actor=rep_a, customer=customer_a, item=items[0])
    assert _reload(customer_a).stage == "qualified"
    assert QualificationCheck.objects.filter(customer=customer_a).count() == 4
    assert AuditEvent.objects.filter(customer=customer_a, object_type="qualificationcheck", verb="remove").count() == 1


def test_signed_customer_has_no_checklist(rep_a, customer_a):
    _stage(customer_a, "signed")
    with pytest.raises(QualificationError):
        qualification_check(actor=rep_a, customer=customer_a, item=_items()[0])


def test_finance_cannot_check(finance, customer_a):
    with pytest.raises(PermissionDenied):
        qualification_check(actor=finance, customer=customer_a, item=_items()[0])
    with pytest.raises(PermissionDenied):
        qualification_uncheck(actor=finance, customer=customer_a, item=_items()[0])
    assert not QualificationCheck.objects.exists()


def test_manager_a_checks_for_team_customer_and_rep_b_may_not(manager_a, rep_b, customer_a):
    qualification_check(actor=manager_a, customer=customer_a, item=_items()[0])
    with pytest.raises(PermissionDenied):
        qualification_check(actor=rep_b, customer=customer_a, item=_items()[1])
    assert QualificationCheck.objects.filter(customer=customer_a).count() == 1


def test_admin_saves_items_and_others_may_not(admin, rep_a):
    first = _items()[0]
    qualification_items_save(actor=admin, rows=[
        {"id": first.pk, "name": "新名字", "name_en": "New name", "help_text": "", "position": 99, "is_active": False},
        {"id": None, "name": "第六项", "name_en": "Sixth", "help_text": "", "position": 60, "is_active": True},
    ])
    first.refresh_from_db()
    assert (first.name, first.position, first.is_active) == ("新名字", 99, False)
    assert QualificationItem.objects.filter(name="第六项", is_active=True).exists()
    assert AuditEvent.objects.filter(object_type="qualificationitem").count() == 2
    with pytest.raises(PermissionDenied):
        qualification_items_save(actor=rep_a, rows=[{"id": first.pk, "name": "x"}])
    with pytest.raises(QualificationError):
        qualification_items_save(actor=admin, rows=[{"id": first.pk, "name": "  "}])
    assert QualificationItem.objects.get(pk=first.pk).name == "新名字"


# --- the panel and its route -------------------------------------------------------------------

def test_rep_a_sees_the_panel_with_progress(login, rep_a, customer_a):
    qualification_check(actor=rep_a, customer=customer_a, item=_items()[0])
    body = login(rep_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'data-testid="qualification-panel"' in body
    assert ">1/5<" in body
    assert "Checked by rep_a" in body
    assert "a target customer stays a target" in body


def test_panel_is_hidden_for_signed_customers(login, rep_a, customer_a):
    _stage(customer_a, "signed")
    body = login(rep_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'data-testid="qualification-panel"' not in body


def test_rep_a_checks_the_last_item_by_htmx_and_sees_the_message(login, rep_a, customer_a):
    _stage(customer_a, "prospect")
    items = _items()
    for item in items[:-1]:
        qualification_check(actor=rep_a, customer=customer_a, item=item)
    response = login(rep_a).post(_url(customer_a), {"item": items[-1].pk, "checked": "1", "note": "ok"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "the customer is now qualified" in body
    assert ">5/5<" in body
    assert _reload(customer_a).stage == "qualified"


def test_rep_a_unchecks_by_plain_post(login, rep_a, customer_a):
    item = _items()[0]
    qualification_check(actor=rep_a, customer=customer_a, item=item)
    response = login(rep_a).post(_url(customer_a), {"item": item.pk})
    assert response.status_code == 302
    assert not QualificationCheck.objects.exists()


def test_finance_sees_a_read_only_panel_and_cannot_post(login, finance, customer_a):
    client = login(finance)
    body = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'data-testid="qualification-panel"' in body
    assert 'name="checked"' not in body
    response = client.post(_url(customer_a), {"item": _items()[0].pk, "checked": "1"}, follow=True)
    assert "you may not change its qualification checklist" in response.content.decode()
    assert not QualificationCheck.objects.exists()


def test_rep_b_gets_404_for_rep_a_customer(login, rep_b, customer_a):
    client = login(rep_b)
    assert client.get(_url(customer_a)).status_code == 404
    assert client.post(_url(customer_a), {"item": _items()[0].pk, "checked": "1"}).status_code == 404
    assert client.post(_url(customer_a), {"item": _items()[0].pk, "checked": "1"}, HTTP_HX_REQUEST="true").status_code == 404
    assert not QualificationCheck.objects.exists()


def test_rep_a_posting_without_item_changes_nothing(login, rep_a, customer_a):
    response = login(rep_a).post(_url(customer_a), {"checked": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Choose an item of the checklist." in response.content.decode()
    assert not QualificationCheck.objects.exists()


def test_panel_get_by_htmx_renders_the_fragment(login, rep_a, customer_a):
    response = login(rep_a).get(_url(customer_a), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="qualification"' in response.content.decode()
    assert login(rep_a).get(_url(customer_a)).status_code == 302


def test_panel_query_count_does_not_grow_with_checks(login, rep_a, customer_a, django_assert_max_num_queries):
    client = login(rep_a)
    client.get(_url(customer_a), HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(8):
        client.get(_url(customer_a), HTTP_HX_REQUEST="true")
    for item in _items():
        qualification_check(actor=rep_a, customer=customer_a, item=item)
    with django_assert_max_num_queries(8):
        client.get(_url(customer_a), HTTP_HX_REQUEST="true")


# --- the settings page ---------------------------------------------------------------------------

SETTINGS = "customers:qualification-items"


def _formset_post(items, extra_rows=()):
    data = {"form-TOTAL_FORMS": str(len(items) + 2), "form-INITIAL_FORMS": str(len(items)), "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}
    for i, item in enumerate(items):
        data.update({f"form-{i}-id": item.pk, f"form-{i}-name": item.name, f"form-{i}-name_en": item.name_en,
                     f"form-{i}-help_text": item.help_text, f"form-{i}-position": item.position})
        if item.is_active:
            data[f"form-{i}-is_active"] = "on"
    for j in range(len(items), len(items) + 2):  # the extra rows as a browser sends them untouched
        data.update({f"form-{j}-position": "0", f"form-{j}-is_active": "on"})
    for j, row in enumerate(extra_rows, len(items)):
        data.update({f"form-{j}-{k}": v for k, v in row.items()})
    return data


def test_settings_page_is_admin_only(login, cast):
    for who in ("rep_a", "manager_a", "director", "finance"):
        client = login(cast[who])
        response = client.get(reverse(SETTINGS))
        assert response.status_code == 302, who
        response = client.post(reverse(SETTINGS), _formset_post(_items(), [{"name": "黑客", "position": "1", "is_active": "on"}]))
        assert response.status_code == 302, who
    assert not QualificationItem.objects.filter(name="黑客").exists()
    assert login(cast["admin"]).get(reverse(SETTINGS)).status_code == 200


def test_admin_renames_deactivates_and_adds_in_one_formset(login, admin):
    items = _items()
    items[0].name_en = "Renamed"
    items[1].is_active = False
    items[2].position = 1
    response = login(admin).post(reverse(SETTINGS), _formset_post(items, [{"name": "第六项", "name_en": "Sixth", "position": "70", "is_active": "on"}]))
    assert response.status_code == 302
    assert QualificationItem.objects.get(pk=items[0].pk).name_en == "Renamed"
    assert QualificationItem.objects.get(pk=items[1].pk).is_active is False
    assert _items()[0].pk == items[2].pk
    assert QualificationItem.objects.filter(name="第六项", is_active=True).exists()
    assert QualificationItem.objects.count() == 6  # the empty extra row is skipped


def test_admin_emptying_a_name_saves_nothing(login, admin):
    items = _items()
    items[0].name = ""
    items[1].name_en = "Changed"
    response = login(admin).post(reverse(SETTINGS), _formset_post(items))
    assert response.status_code == 200
    assert "needs a Chinese name" in response.content.decode()
    assert QualificationItem.objects.get(pk=items[1].pk).name_en != "Changed"


# --- in a real browser: ticking the last box qualifies the prospect, without a page load ----------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rep_a_ticks_the_checklist_in_the_browser(live_server, cast):
    import os
    import shutil
    from pathlib import Path

    from conftest import PASSWORD

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("KEHU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {chromium}")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    if not QualificationItem.objects.exists():  # a transactional test before this one flushed the seeded rows
        QualificationItem.objects.bulk_create(QualificationItem(name=f"第{n}项", position=n) for n in range(1, 6))
    customer = _stage(cast["customer_a"], "prospect")
    items = _items()
    for item in items[:-1]:
        qualification_check(actor=cast["rep_a"], customer=customer, item=item)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", "rep_a")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"{live_server.url}{reverse('customers:detail', args=[customer.pk])}")
            page.evaluate("window.__same_page = true")
            page.check(f"#q-{items[-1].pk}")
            page.wait_for_selector("[data-testid=qualification-message]")
            assert page.inner_text("[data-testid=qualification-progress]") == f"{len(items)}/{len(items)}"
            assert page.evaluate("window.__same_page") is True  # htmx swapped the panel, no reload
            assert page.inner_text("[data-testid=customer-stage]") in {"准客户", "Qualified"}  # and the header badge
            browser.close()
    finally:
        from django.db import connections

        connections.close_all()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert _reload(customer).stage == "qualified"


def test_the_last_tick_also_updates_the_stage_badge_of_the_page_header(login, rep_a, customer_a):
    _stage(customer_a, "prospect")
    items = _items()
    for item in items[:-1]:
        qualification_check(actor=rep_a, customer=customer_a, item=item)
    response = login(rep_a).post(_url(customer_a), {"item": items[-1].pk, "checked": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="customer-stage"' in body and 'hx-swap-oob="true"' in body

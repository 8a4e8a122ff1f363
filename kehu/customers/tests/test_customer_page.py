"""The customer page of issue 10: a summary card on top, then sections (tabs) assembled from the
panels each app registers; phones as tel: links; the list's filters behind a button on a phone;
"—" as every empty choice; a stored date at the end of the calendar does not break the page."""

import re
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.core.models import CompanySettings
from kehu.customers import hooks
from kehu.customers.hooks import CustomerPanel, customer_panel_register
from kehu.customers.models import Contact, Customer
from kehu.customers.services.records import contact_create, customer_update

pytestmark = pytest.mark.django_db


def _page(client, customer, **params):
    response = client.get(reverse("customers:detail", args=[customer.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def _section(body, key) -> str:
    start = body.index(f'id="tab-{key}"')
    end = body.find('class="kehu-tab-pane"', start + 1)
    return body[start:end if end > 0 else len(body)]


# --- the summary card ------------------------------------------------------------------------

def test_rep_a_sees_the_summary_card_before_any_section(cast, login_en):
    customer = cast["customer_a"]
    Customer.objects.filter(pk=customer.pk).update(address="坂田华为基地", pyramid_tier="major", value_class="strategic")
    contact_create(actor=cast["rep_a"], customer=customer, data={"name": "任正非", "title": "总裁", "phone": "139 0000 0001",
                                                                 "decision_role": "decision_maker"})
    contact_create(actor=cast["rep_a"], customer=customer, data={"name": "前台", "phone": "0755-1"})
    body = _page(login_en(cast["rep_a"]), customer)
    summary = body[body.index('data-testid="customer-summary"'):body.index('data-testid="customer-tabs"')]
    assert 'href="tel:075528780808"' in summary  # the customer's phone
    assert "广东 深圳 坂田华为基地" in summary
    assert "任正非" in summary and 'href="tel:13900000001"' in summary and "前台" not in summary  # key contacts only
    assert "rep_a" in summary or str(cast["rep_a"]) in summary  # the owner
    assert "Major" in summary and "Strategic" in summary  # tier and class
    assert 'data-testid="summary-receivables"' in summary and 'data-testid="summary-credit"' in summary


def test_finance_sees_receivables_and_credit_use_in_the_summary(cast, login_en):
    customer = cast["customer_a"]
    Customer.objects.filter(pk=customer.pk).update(credit_limit=Decimal("5000.00"))
    body = _page(login_en(cast["finance"]), customer)
    credit = body[body.index('data-testid="summary-credit"'):]
    assert "¥0.00 of ¥5,000.00 (0%)" in credit


def test_the_sections_come_in_the_order_of_the_tabs_and_history_is_folded(cast, login_en):
    body = _page(login_en(cast["rep_a"]), cast["customer_a"])
    keys = re.findall(r'id="tab-(\w+)" data-tab-pane', body)
    assert keys == ["followup", "deals", "orders", "records", "history"]
    assert [m for m in re.findall(r'href="#tab-(\w+)"', body)] == keys  # the tab bar: anchors that work without JavaScript
    assert 'data-testid="activity-panel"' in _section(body, "followup")
    # the ranking panel is drawn after the page (issue 13: lazy, customers:panels)
    assert 'data-testid="deals-panel"' in _section(body, "deals") and 'data-testid="lazy-ranking"' in _section(body, "deals")
    assert 'data-testid="orders-panel"' in _section(body, "orders") and 'data-testid="finance-panel"' in _section(body, "orders")
    records = _section(body, "records")
    assert 'id="contacts"' in records and 'data-testid="data-card"' in records and 'data-testid="profile-empty"' in records
    history = _section(body, "history")
    assert '<details class="kehu-history"' in history and "<details class=\"kehu-history\" open" not in history
    assert 'src="/static/kehu/customer-page.js"' in body


def test_a_new_app_adds_its_panel_without_editing_the_customer_template(cast, login_en):
    def render(context, customer):
        return f'<section data-testid="extra-panel">{customer.code} for {context["request"].user.username}</section>'

    customer_panel_register(CustomerPanel(key="test-extra", section="deals", order=5, render=render))
    try:
        body = _page(login_en(cast["rep_a"]), cast["customer_a"])
    finally:
        hooks.CUSTOMER_PANELS.unregister("test-extra")
    deals = _section(body, "deals")
    assert f"{cast['customer_a'].code} for rep_a" in deals
    assert deals.index('data-testid="extra-panel"') < deals.index('data-testid="deals-panel"')  # order 5 before 10


def test_a_panel_in_an_unknown_section_is_refused():
    with pytest.raises(ValueError):
        customer_panel_register(CustomerPanel(key="nowhere", section="sidebar", render=lambda c, x: ""))


def test_the_page_query_count_does_not_grow_with_contacts_history_and_timeline(cast, login):
    customer, rep = cast["customer_a"], cast["rep_a"]
    client = login(rep)
    CompanySettings.load()
    contact_create(actor=rep, customer=customer, data={"name": "联系人0", "decision_role": "decision_maker", "phone": "1"})
    client.get(reverse("customers:detail", args=[customer.pk]))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("customers:detail", args=[customer.pk]))
    for i in range(1, 12):
        contact_create(actor=rep, customer=customer, data={"name": f"联系人{i}", "decision_role": "influencer", "phone": str(i)})
        customer_update(actor=rep, customer=customer, data={"notes": str(i)})
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("customers:detail", args=[customer.pk]))
    assert len(many.captured_queries) == len(few.captured_queries)


# --- phones ------------------------------------------------------------------------------------

def test_phones_are_tel_links_on_the_list_the_page_and_the_contacts(cast, login):
    customer = cast["customer_a"]
    contact_create(actor=cast["rep_a"], customer=customer, data={"name": "李工", "phone": "138-0013-8000"})
    client = login(cast["rep_a"])
    listing = client.get(reverse("customers:list")).content.decode()
    assert 'href="tel:075528780808"' in listing
    body = _page(client, customer)
    contacts = body[body.index('id="contacts"'):]
    assert 'href="tel:13800138000"' in contacts and 'href="tel:075528780808"' in _section(body, "records")


def test_tel_links_keep_extensions_and_split_several_numbers():
    from kehu.customers.templatetags.customer_tags import tel, tel_href

    assert tel_href("0755-2878 0808转8001") == "tel:075528780808,8001"
    assert tel_href("+86 138 0013 8000") == "tel:+8613800138000"
    assert tel_href("无") == ""
    html = tel("13800138000 / 0755-1234567")
    assert 'href="tel:13800138000"' in html and 'href="tel:07551234567"' in html
    assert "<script>" not in tel("<script>1234</script>")


# --- the list on a phone ---------------------------------------------------------------------------

def test_the_list_filters_collapse_behind_a_button_unless_one_is_in_use(cast, login):
    client = login(cast["rep_a"])
    plain = client.get(reverse("customers:list")).content.decode()
    assert 'data-testid="filters-toggle"' in plain
    assert 'class="collapse" id="customer-filters"' in plain  # closed
    filtered = client.get(reverse("customers:list"), {"stage": "target", "province": "广东"}).content.decode()
    assert 'class="collapse show" id="customer-filters"' in filtered  # open: a filter is in use
    assert re.search(r'data-testid="filters-toggle">\s*筛选 <span class="badge text-bg-primary">2</span>', filtered)


def test_stage_labels_never_wrap(cast, login):
    listing = login(cast["rep_a"]).get(reverse("customers:list")).content.decode()
    assert re.search(r'<span class="badge [^"]*text-nowrap[^"]*" data-testid="stage">', listing)
    body = _page(login(cast["rep_a"]), cast["customer_a"])
    assert re.search(r'class="badge text-bg-info text-nowrap" id="customer-stage"', body)


# --- empty choices --------------------------------------------------------------------------------

def test_every_empty_choice_of_the_customer_and_contact_forms_reads_a_dash(cast, login):
    customer = cast["customer_a"]
    referrer_contact = contact_create(actor=cast["rep_a2"], customer=cast["customer_a2"], data={"name": "介绍人"})
    Customer.objects.filter(pk=cast["customer_a2"].pk).update(owner=cast["rep_a"])
    customer_update(actor=cast["admin"], customer=customer, data={"referrer_customer": cast["customer_a2"], "referrer_contact": referrer_contact})
    contact = contact_create(actor=cast["rep_a"], customer=customer, data={"name": "王五"})
    client = login(cast["rep_a"])
    edit = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert 'name="referrer_contact"' in edit
    contact_edit = client.get(reverse("customers:contact-edit", args=[contact.pk])).content.decode()
    for html in (edit, contact_edit):
        assert "---------" not in html
        assert '<option value="" selected>—</option>' in html or '<option value="">—</option>' in html


# --- dates at the end of the calendar -----------------------------------------------------------------

def test_a_follow_up_planned_for_9999_12_31_does_not_break_the_customer_page(cast, login):
    """Issue 10, item 1: pages survive any date already stored. (The timeline and the input
    validation are the activities app's; nothing of the page around them computes past date.max.)"""
    from kehu.activities.models import Activity

    customer = cast["customer_a"]
    Activity.objects.create(customer=customer, kind="visit", status="planned", summary="远期计划", due_on=date.max,
                            owner=cast["rep_a"], created_by=cast["rep_a"])
    # The last moment a datetime holds, in UTC: a day beyond it in the company's time zone.
    Customer.objects.filter(pk=customer.pk).update(last_followup_at=datetime(9999, 12, 31, 23, 30, tzinfo=dt_timezone.utc))
    Contact.objects.create(customer=customer, name="长寿", birth_date=date.max, decision_role="decision_maker")
    activities = hooks.CUSTOMER_PANELS.get("activities")
    hooks.CUSTOMER_PANELS.unregister("activities")  # its timeline is the activities app's (fixed there)
    try:
        for who in ("rep_a", "manager_a", "finance", "admin"):
            body = _page(login(cast[who]), customer)
            assert "9999-12-31" in body
        listing = login(cast["rep_a"]).get(reverse("customers:list"))
        assert listing.status_code == 200 and "9999-12-31" in listing.content.decode()
    finally:
        customer_panel_register(activities)

"""The key-account archive (DOMAIN.md §6, source 004): sections, decision makers, the customer's
spend per product category; who may see and change it; who changed it and when; the growth rule."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from kehu.core.models import AuditEvent
from kehu.customers.archive import selectors as archive_selectors
from kehu.customers.archive.selectors import customer_archive, spend_growth
from kehu.customers.models import ArchiveSection, CategorySpend, Contact, Customer
from kehu.customers.selectors import customer_history_rows
from kehu.customers.errors import ArchiveError
from kehu.customers.services.archive import (
    archive_merge,
    archive_section_update,
    category_spend_delete,
    category_spend_set,
)

SCALE = ArchiveSection.Section.PRODUCTION_SCALE
SHARE = ArchiveSection.Section.MARKET_SHARE


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _spend(customer, actor, category="钢材", year=2023, amount="1000.00", **extra):
    return category_spend_set(actor=actor, customer=customer, category=category, year=year, annual_spend=amount, **extra)


def _archive_urls(customer, spend):
    return [
        reverse("customers:archive", args=[customer.pk]),
        reverse("customers:archive-spend-create", args=[customer.pk]),
        *[reverse("customers:archive-section-edit", args=[customer.pk, s]) for s in ArchiveSection.Section.values],
        reverse("customers:archive-spend-edit", args=[spend.pk]),
        reverse("customers:archive-spend-delete", args=[spend.pk]),
    ]


def _state():
    return (
        AuditEvent.objects.count(),
        list(ArchiveSection.objects.order_by("pk").values_list("pk", "customer_id", "text", "share_pct", "updated_at")),
        list(CategorySpend.objects.order_by("pk").values_list("pk", "customer_id", "category", "year", "annual_spend", "updated_at")),
    )


# ---- who sees: rep_b gets 404 on every archive URL of rep_a's customer ------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_rep_b_gets_404_on_every_archive_url_of_rep_a_customer(cast, login, htmx):
    customer = cast["customer_a"]
    archive_section_update(actor=cast["rep_a"], customer=customer, section=SCALE, text="三条产线")
    spend = _spend(customer, cast["rep_a"])
    client = login(cast["rep_b"])
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    before = _state()
    payload = {"text": "rep_b was here", "share_pct": "50", "category": "x", "year": "2024", "annual_spend": "1",
               "currency": "CNY"}
    for url in _archive_urls(customer, spend):
        assert client.get(url, **extra).status_code == 404, url
        assert client.post(url, payload, **extra).status_code in (404, 405), url
    assert _state() == before


def test_rep_a2_of_the_same_team_gets_404_too(cast, login):
    spend = _spend(cast["customer_a"], cast["rep_a"])
    client = login(cast["rep_a2"])
    for url in _archive_urls(cast["customer_a"], spend):
        assert client.get(url).status_code == 404, url


def test_unknown_section_is_404_for_the_owner(cast, login):
    client = login(cast["rep_a"])
    url = reverse("customers:archive-section-edit", args=[cast["customer_a"].pk, "salaries"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "x"}).status_code == 404
    assert not ArchiveSection.objects.exists()


def test_deleted_customer_archive_is_404_for_its_owner(cast, login):
    customer = cast["customer_a"]
    Customer.objects.filter(pk=customer.pk).update(is_deleted=True)
    assert login(cast["rep_a"]).get(reverse("customers:archive", args=[customer.pk])).status_code == 404


# ---- finance sees but cannot edit ------------------------------------------------------------

def test_finance_sees_the_archive_without_edit_buttons(cast, login_en):
    customer = cast["customer_a"]
    archive_section_update(actor=cast["rep_a"], customer=customer, section=SCALE, text="年产 20 万吨")
    spend = _spend(customer, cast["rep_a"])
    response = login_en(cast["finance"]).get(reverse("customers:archive", args=[customer.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "年产 20 万吨" in body and "钢材" in body
    assert "You can read this archive" in body
    assert reverse("customers:archive-section-edit", args=[customer.pk, SCALE]) not in body
    assert reverse("customers:archive-spend-edit", args=[spend.pk]) not in body
    assert 'data-testid="add-spend"' not in body


def test_finance_posting_to_the_archive_changes_nothing(cast, login_en):
    customer = cast["customer_a"]
    spend = _spend(customer, cast["rep_a"])
    client = login_en(cast["finance"])
    before = _state()
    archive = reverse("customers:archive", args=[customer.pk])
    for url in _archive_urls(customer, spend)[1:]:
        response = client.post(url, {"text": "finance", "category": "x", "year": "2024", "annual_spend": "5", "currency": "CNY"})
        assert response.status_code == 302 and response["Location"] == archive, url
        htmx = client.post(url, {"text": "finance"}, HTTP_HX_REQUEST="true")
        assert htmx.status_code == 200 and htmx["HX-Redirect"] == archive, url
    assert _state() == before
    page = client.get(archive).content.decode()
    assert "You can see this archive but you may not change it." in page


def test_finance_cannot_write_through_the_services(cast):
    customer, finance = cast["customer_a"], cast["finance"]
    spend = _spend(customer, cast["rep_a"])
    with pytest.raises(PermissionDenied):
        archive_section_update(actor=finance, customer=customer, section=SCALE, text="x")
    with pytest.raises(PermissionDenied):
        _spend(customer, finance, category="铝材")
    with pytest.raises(PermissionDenied):
        category_spend_set(actor=finance, customer=customer, spend=spend, category="钢材", year=2023, annual_spend="1")
    with pytest.raises(PermissionDenied):
        category_spend_delete(actor=finance, spend=spend)
    assert CategorySpend.objects.get().annual_spend == Decimal("1000.00")


def test_manager_edits_the_archive_of_a_team_member_customer(cast, login_en):
    customer = cast["customer_a"]
    response = login_en(cast["manager_a"]).post(
        reverse("customers:archive-section-edit", args=[customer.pk, SCALE]), {"text": "经理补充"})
    assert response.status_code == 302
    row = ArchiveSection.objects.get(customer=customer, section=SCALE)
    assert row.text == "经理补充" and row.updated_by == cast["manager_a"]


def test_spend_of_another_customer_cannot_be_changed_through_this_one(cast):
    spend_b = _spend(cast["customer_b"], cast["rep_b"])
    with pytest.raises(PermissionDenied):
        category_spend_set(actor=cast["rep_a"], customer=cast["customer_a"], spend=spend_b,
                           category="钢材", year=2023, annual_spend="1")


# ---- sections: who and when, audit, htmx -------------------------------------------------------

def test_rep_a_section_update_records_who_when_and_audit(cast, login_en):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    client = login_en(rep_a)
    url = reverse("customers:archive-section-edit", args=[customer.pk, SCALE])
    start = timezone.now()
    response = client.post(url, {"text": "  年产 20 万吨\r\n员工 800 人  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:archive", args=[customer.pk]) + f"#section-{SCALE}"
    row = ArchiveSection.objects.get(customer=customer, section=SCALE)
    assert row.text == "年产 20 万吨\n员工 800 人"
    assert row.updated_by == rep_a and start <= row.updated_at <= timezone.now()
    created = AuditEvent.objects.get(object_type="archivesection")
    assert created.customer == customer and created.actor == rep_a and created.verb == AuditEvent.Verb.CREATE
    assert created.changes == {"text": [None, "年产 20 万吨\n员工 800 人"]}

    ArchiveSection.objects.filter(pk=row.pk).update(updated_at=start - timedelta(days=3))
    client.post(url, {"text": "年产 25 万吨"})
    row.refresh_from_db()
    assert row.updated_at >= start
    changed = AuditEvent.objects.filter(object_type="archivesection").first()
    assert changed.verb == AuditEvent.Verb.UPDATE
    assert changed.changes == {"text": ["年产 20 万吨\n员工 800 人", "年产 25 万吨"]}

    page = client.get(reverse("customers:archive", args=[customer.pk])).content.decode()
    assert "年产 25 万吨" in page
    assert f"Updated by rep_a on {timezone.localtime(row.updated_at):%Y-%m-%d %H:%M}" in page
    history = customer_history_rows(customer=customer, user=rep_a)
    assert any(r["event"].object_type == "archivesection" for r in history)


def test_saving_an_unchanged_section_writes_nothing(cast):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    row = archive_section_update(actor=rep_a, customer=customer, section=SCALE, text="同上")
    stamp = row.updated_at
    archive_section_update(actor=cast["manager_a"], customer=customer, section=SCALE, text="同上 ")
    row.refresh_from_db()
    assert row.updated_at == stamp and row.updated_by == rep_a
    assert AuditEvent.objects.filter(object_type="archivesection").count() == 1
    archive_section_update(actor=rep_a, customer=customer, section=SHARE, text="")
    assert not ArchiveSection.objects.filter(section=SHARE).exists()


def test_market_share_keeps_a_percentage_with_one_decimal(cast, login_en):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    row = archive_section_update(actor=rep_a, customer=customer, section=SHARE, text="华南第二", share_pct="12.45")
    row.refresh_from_db()
    assert row.share_pct == Decimal("12.5")  # half-up
    for bad in ("100.1", "-1", "12%", 12.5):
        with pytest.raises(ArchiveError):
            archive_section_update(actor=rep_a, customer=customer, section=SHARE, text="x", share_pct=bad)
    with pytest.raises(ArchiveError, match="Only the market share section"):
        archive_section_update(actor=rep_a, customer=customer, section=SCALE, text="x", share_pct="5")
    page = login_en(rep_a).get(reverse("customers:archive", args=[customer.pk])).content.decode()
    assert "12.5%" in page and "华南第二" in page


def test_market_share_out_of_range_shows_the_form_again(cast, login_en):
    client = login_en(cast["rep_a"])
    url = reverse("customers:archive-section-edit", args=[cast["customer_a"].pk, SHARE])
    response = client.post(url, {"text": "x", "share_pct": "120"})
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 100." in response.content.decode()
    assert not ArchiveSection.objects.exists()


def test_section_edit_with_htmx_swaps_the_section_in_place(cast, login_en):
    customer = cast["customer_a"]
    client = login_en(cast["rep_a"])
    url = reverse("customers:archive-section-edit", args=[customer.pk, SCALE])
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in form and f'id="section-{SCALE}"' in form and f'hx-post="{url}"' in form
    page = client.get(url).content.decode()
    assert "<html" in page and "Production scale" in page  # works without JavaScript
    saved = client.post(url, {"text": "两个厂区"}, HTTP_HX_REQUEST="true")
    body = saved.content.decode()
    assert saved.status_code == 200 and "<html" not in body
    assert f'id="section-{SCALE}"' in body and "两个厂区" in body and "Updated by rep_a" in body


def test_section_text_has_a_length_limit(cast):
    with pytest.raises(ArchiveError):
        archive_section_update(actor=cast["rep_a"], customer=cast["customer_a"], section=SCALE, text="字" * 10001)


# ---- decision makers come from the contacts ----------------------------------------------------

def test_decision_makers_are_the_contacts_with_a_decision_role(cast, login_en):
    customer = cast["customer_a"]
    Contact.objects.create(customer=customer, name="王采购", decision_role=Contact.DecisionRole.BUYER)
    Contact.objects.create(customer=customer, name="张总", decision_role=Contact.DecisionRole.DECISION_MAKER)
    Contact.objects.create(customer=customer, name="李法人", principal_role=Contact.PrincipalRole.LEGAL_REPRESENTATIVE)
    Contact.objects.create(customer=customer, name="前台小赵")
    Contact.objects.create(customer=customer, name="已删老周", decision_role=Contact.DecisionRole.DECISION_MAKER, is_deleted=True)
    archive = customer_archive(user=cast["rep_a"], pk=customer.pk)
    assert [c.name for c in archive.decision_makers] == ["张总", "王采购", "李法人"]
    page = login_en(cast["rep_a"]).get(reverse("customers:archive", args=[customer.pk])).content.decode()
    zhang = Contact.objects.get(name="张总")
    assert reverse("customers:contact-edit", args=[zhang.pk]) in page
    assert "前台小赵" not in page and "已删老周" not in page


# ---- spend: exact money, uniqueness, audit -----------------------------------------------------

def test_spend_is_an_exact_decimal_stored_as_integer_cents(cast):
    row = _spend(cast["customer_a"], cast["rep_a"], amount="1,234,567.895")
    row.refresh_from_db()
    assert row.annual_spend == Decimal("1234567.90") and isinstance(row.annual_spend, Decimal)
    with connection.cursor() as cursor:
        cursor.execute("SELECT annual_spend FROM customers_categoryspend WHERE id = %s", [row.pk])
        assert cursor.fetchone()[0] == 123456790
    assert row.updated_by == cast["rep_a"] and row.currency == "CNY"


def test_spend_refuses_floats_and_negative_or_silly_values(cast):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    this_year = timezone.localdate().year
    for kwargs in (
        {"amount": 1000.5}, {"amount": "-1"}, {"amount": "abc"}, {"category": "  "},
        {"year": 1989}, {"year": this_year + 2}, {"year": "二〇二四"}, {"currency": "XYZ"},
        {"growth_pct": "-100.1"}, {"growth_pct": 3.5},
    ):
        with pytest.raises(ArchiveError):
            _spend(customer, rep_a, **kwargs)
    assert not CategorySpend.objects.exists()
    assert _spend(customer, rep_a, year=this_year + 1).year == this_year + 1  # next year's budget


def test_spend_is_unique_per_category_and_year_ignoring_case_and_spaces(cast):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    _spend(customer, rep_a, category="Cold  rolled steel", year=2023)
    for spelling in ("Cold rolled steel", "cold rolled STEEL", "  cold   rolled steel "):
        with pytest.raises(ArchiveError, match="already recorded"):
            _spend(customer, rep_a, category=spelling, year=2023)
    _spend(customer, rep_a, category="cold rolled steel", year=2022)  # another year
    _spend(cast["customer_b"], cast["rep_b"], category="Cold rolled steel", year=2023)  # another customer
    assert CategorySpend.objects.get(customer=customer, year=2023).category == "Cold rolled steel"
    with pytest.raises(IntegrityError), transaction.atomic():
        CategorySpend.objects.create(customer=customer, category="Cold rolled steel", year=2023, annual_spend=Decimal("1"),
                                     updated_at=timezone.now())


def test_editing_a_spend_row_onto_an_existing_year_is_refused(cast):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    _spend(customer, rep_a, year=2023)
    other = _spend(customer, rep_a, year=2022)
    with pytest.raises(ArchiveError):
        category_spend_set(actor=rep_a, customer=customer, spend=other, category="钢材", year=2023, annual_spend="5")
    other.refresh_from_db()
    assert other.year == 2022 and other.annual_spend == Decimal("1000.00")


def test_spend_changes_are_audited_with_old_and_new_values(cast):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    row = _spend(customer, rep_a, amount="1000")
    event = AuditEvent.objects.get(object_type="categoryspend")
    assert event.verb == AuditEvent.Verb.CREATE and event.customer == customer
    assert event.changes == {"category": [None, "钢材"], "year": [None, 2023], "annual_spend": [None, "1000.00"], "currency": [None, "CNY"]}
    category_spend_set(actor=cast["manager_a"], customer=customer, spend=row, category="钢材", year=2023, annual_spend="1200.50", note="采购部口径")
    row.refresh_from_db()
    assert row.updated_by == cast["manager_a"]
    changed = AuditEvent.objects.filter(object_type="categoryspend").first()
    assert changed.verb == AuditEvent.Verb.UPDATE
    assert changed.changes == {"annual_spend": ["1000.00", "1200.50"], "note": ["", "采购部口径"]}
    category_spend_delete(actor=rep_a, spend=row)
    gone = AuditEvent.objects.filter(object_type="categoryspend").first()
    assert gone.verb == AuditEvent.Verb.REMOVE and gone.changes["annual_spend"] == ["1200.50", None]
    assert not CategorySpend.objects.exists()


# ---- the growth rule -------------------------------------------------------------------------

@pytest.mark.parametrize("previous, current, expected", [
    ("1000.00", "1250.00", Decimal("25.0")),
    ("3.00", "4.00", Decimal("33.3")),
    ("200.00", "200.10", Decimal("0.1")),  # 0.05 rounds half-up, not to even
    ("200.00", "199.90", Decimal("-0.1")),  # away from zero
    ("1000.00", "0.00", Decimal("-100.0")),
    ("0.00", "500.00", None),  # no base to grow from
])
def test_growth_is_computed_half_up_to_one_decimal(previous, current, expected):
    assert spend_growth(Decimal(current), Decimal(previous)) == expected


def test_growth_rule_computed_from_previous_year_else_stated(cast):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    _spend(customer, rep_a, category="钢材", year=2022, amount="800")
    _spend(customer, rep_a, category="钢材", year=2023, amount="1000", growth_pct="99")  # stated, but 2022 exists
    _spend(customer, rep_a, category="铝材", year=2023, amount="500", growth_pct="7.25")  # no 2022 row
    _spend(customer, rep_a, category="铜材", year=2022, amount="100", currency="USD")
    _spend(customer, rep_a, category="铜材", year=2023, amount="900")  # 2022 in another currency
    _spend(customer, rep_a, category="涂料", year=2023, amount="10")  # nothing to go on
    years = customer_archive(user=rep_a, pk=customer.pk).years
    assert [y.year for y in years] == [2023, 2022]
    rows = {r.spend.category: r for r in years[0].rows}
    assert (rows["钢材"].growth, rows["钢材"].growth_source, rows["钢材"].previous.year) == (Decimal("25.0"), "computed", 2022)
    assert (rows["铝材"].growth, rows["铝材"].growth_source) == (Decimal("7.3"), "stated")
    assert (rows["铜材"].growth, rows["铜材"].growth_source) == (None, "")
    assert (rows["涂料"].growth, rows["涂料"].growth_source) == (None, "")
    assert years[0].totals == [("CNY", Decimal("2410.00"))]
    assert years[1].totals == [("CNY", Decimal("800.00")), ("USD", Decimal("100.00"))]


# ---- spend pages ----------------------------------------------------------------------------

def test_rep_a_adds_edits_and_deletes_spend_through_the_pages(cast, login_en):
    customer = cast["customer_a"]
    client = login_en(cast["rep_a"])
    archive = reverse("customers:archive", args=[customer.pk])
    create = reverse("customers:archive-spend-create", args=[customer.pk])
    form = client.get(create).content.decode()
    assert f'value="{timezone.localdate().year - 1}"' in form  # last full year by default
    for bad in ("1.2万", "-5", ""):
        refused = client.post(create, {"category": "钢材", "year": "2023", "annual_spend": bad, "currency": "CNY"})
        assert refused.status_code == 200 and not CategorySpend.objects.exists()
    response = client.post(create, {"category": "钢材", "year": "2023", "annual_spend": "¥1,200,000", "currency": "CNY"})
    assert response.status_code == 302 and response["Location"] == archive + "#spend"
    row = CategorySpend.objects.get()
    assert row.annual_spend == Decimal("1200000.00")
    duplicate = client.post(create, {"category": "钢材", "year": "2023", "annual_spend": "1", "currency": "CNY"})
    assert duplicate.status_code == 200 and "already recorded" in duplicate.content.decode()

    edit = reverse("customers:archive-spend-edit", args=[row.pk])
    assert 'value="钢材"' in client.get(edit).content.decode()
    client.post(edit, {"category": "钢材", "year": "2023", "annual_spend": "1300000", "currency": "CNY", "growth_pct": "8"})
    row.refresh_from_db()
    assert row.annual_spend == Decimal("1300000.00") and row.growth_pct == Decimal("8.0")
    page = client.get(archive).content.decode()
    assert "¥1,300,000.00" in page and "+8.0%" in page and "as stated" in page

    delete = reverse("customers:archive-spend-delete", args=[row.pk])
    confirm = client.get(delete)
    assert confirm.status_code == 200 and "Delete the spend of" in confirm.content.decode()
    assert CategorySpend.objects.exists()  # a GET only asks
    response = client.post(delete)
    assert response.status_code == 302 and not CategorySpend.objects.exists()
    assert client.post(delete).status_code == 404  # the row is gone


def test_spend_form_with_htmx_is_a_fragment_and_redirects_when_saved(cast, login_en):
    customer = cast["customer_a"]
    client = login_en(cast["rep_a"])
    create = reverse("customers:archive-spend-create", args=[customer.pk])
    fragment = client.get(create, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'list="archive-categories"' in fragment
    invalid = client.post(create, {"category": "", "year": "2023", "annual_spend": "x"}, HTTP_HX_REQUEST="true")
    assert invalid.status_code == 200 and "<html" not in invalid.content.decode() and not CategorySpend.objects.exists()
    _spend(customer, cast["rep_a"], category="钢材", year=2022, amount="8")
    saved = client.post(create, {"category": "钢材", "year": "2023", "annual_spend": "10", "currency": "CNY"}, HTTP_HX_REQUEST="true")
    body = saved.content.decode()
    # The whole spend table is swapped in place: other rows' growth may have changed.
    assert saved["HX-Retarget"] == "#spend" and saved["HX-Reswap"] == "outerHTML"
    assert "<html" not in body and 'id="spend"' in body
    assert "Spend on 钢材 in 2023 saved." in body and "+25.0%" in body and "¥10.00" in body


def test_category_suggestions_come_from_registered_sources_and_visible_archives(cast):
    from kehu.customers import hooks

    _spend(cast["customer_a"], cast["rep_a"], category="钢材")
    _spend(cast["customer_b"], cast["rep_b"], category="机密品类")

    def source():
        return ["轴承", " 轴承 ", ""]

    hooks.CATEGORY_SOURCES.register(source)
    try:
        assert archive_selectors.category_suggestions(user=cast["rep_a"]) == sorted(["钢材", "轴承"])
    finally:
        hooks.CATEGORY_SOURCES.unregister(source)


# ---- the archive page's query count ------------------------------------------------------------

ARCHIVE_QUERIES = 7  # session, user, the unread count in the header; customer, sections, contacts, spend


def _fill(customer, actor, n):
    for i in range(n):
        Contact.objects.create(customer=customer, name=f"决策人{i}", decision_role=Contact.DecisionRole.DECISION_MAKER)
        _spend(customer, actor, category=f"品类{i}", year=2023)
        _spend(customer, actor, category=f"品类{i}", year=2022)


def test_archive_page_query_count_is_the_same_for_1_and_many_rows(cast, login, django_assert_num_queries):
    customer, rep_a = cast["customer_a"], cast["rep_a"]
    client = login(rep_a)
    url = reverse("customers:archive", args=[customer.pk])
    archive_section_update(actor=rep_a, customer=customer, section=SCALE, text="x")
    _fill(customer, rep_a, 1)
    with django_assert_num_queries(ARCHIVE_QUERIES):
        assert client.get(url).status_code == 200
    for section in ArchiveSection.Section.values:
        archive_section_update(actor=cast["manager_a"], customer=customer, section=section, text=f"{section} 内容")
    _fill(customer, cast["manager_a"], 0)
    for i in range(1, 20):
        Contact.objects.create(customer=customer, name=f"影响人{i}", decision_role=Contact.DecisionRole.INFLUENCER)
        _spend(customer, cast["manager_a"], category=f"品类{i}", year=2023)
        _spend(customer, rep_a, category=f"品类{i}", year=2021)
    with django_assert_num_queries(ARCHIVE_QUERIES):
        assert client.get(url).status_code == 200


# ---- the panel on the customer page ------------------------------------------------------------

def test_key_account_page_shows_the_archive_panel(cast, login_en):
    customer = cast["customer_a"]
    Customer.objects.filter(pk=customer.pk).update(is_key_account=True)
    archive_section_update(actor=cast["rep_a"], customer=customer, section=SCALE, text="x")
    _spend(customer, cast["rep_a"], category="钢材", year=2023, amount="1000")
    _spend(customer, cast["rep_a"], category="铝材", year=2023, amount="234.5")
    Contact.objects.create(customer=customer, name="张总", decision_role=Contact.DecisionRole.DECISION_MAKER)
    client = login_en(cast["finance"])
    assert 'data-testid="lazy-archive"' in client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    page = _archive_panel(client, customer)  # drawn after the page (issue 13)
    assert 'data-testid="archive-panel"' in page and "Key-account archive" in page
    assert reverse("customers:archive", args=[customer.pk]) in page
    assert "Spend in 2023, 2 categories:" in page and "¥1,234.50" in page
    assert "1 decision maker" in page and "Last updated by rep_a" in page


def _archive_panel(client, customer) -> str:
    """The archive panel as the customer page loads it after itself (htmx)."""
    response = client.get(reverse("customers:panels", args=[customer.pk]) + "?key=archive", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_other_customers_show_start_archive_only_to_editors(cast, login_en):
    customer = cast["customer_a"]
    rep_page = _archive_panel(login_en(cast["rep_a"]), customer)
    assert "Start archive" in rep_page and "Key-account archive" not in rep_page
    finance_page = _archive_panel(login_en(cast["finance"]), customer)
    assert 'data-testid="archive-panel"' not in finance_page and finance_page.strip() == ""
    archive_section_update(actor=cast["rep_a"], customer=customer, section=SCALE, text="x")
    finance_page = _archive_panel(login_en(cast["finance"]), customer)
    assert "Open archive" in finance_page  # once there is something to read


# ---- merge ---------------------------------------------------------------------------------------

def test_archive_merge_fills_the_kept_record_without_overwriting_it(cast):
    kept, merged, admin = cast["customer_a"], cast["customer_a2"], cast["admin"]
    archive_section_update(actor=admin, customer=kept, section=SCALE, text="kept 的规模")
    archive_section_update(actor=admin, customer=merged, section=SCALE, text="merged 的规模")
    archive_section_update(actor=admin, customer=merged, section=SHARE, text="", share_pct="30")
    _spend(kept, admin, category="钢材", year=2023, amount="1")
    _spend(merged, admin, category="钢材", year=2023, amount="2")
    _spend(merged, admin, category="钢材", year=2022, amount="3")
    counts = archive_merge(actor=admin, kept=kept, merged=merged)
    assert list(counts.values()) == [2]
    assert ArchiveSection.objects.get(customer=kept, section=SCALE).text == "kept 的规模"
    assert ArchiveSection.objects.get(customer=kept, section=SHARE).share_pct == Decimal("30.0")
    assert sorted(CategorySpend.objects.filter(customer=kept).values_list("year", "annual_spend")) == [
        (2022, Decimal("3.00")), (2023, Decimal("1.00"))]

"""The top bar's global search (issue 12): each kind only among what the user may open, at most
10 per kind with a "more" link, the htmx dropdown, the hint for a short query."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from factories import ContactFactory
from kehu.customers.tests.test_browser import browser  # noqa: F401 (the Chromium fixture)
from kehu.sales.models import Contract, Opportunity, OpportunityStage, Quote, SalesOrder

SEARCH = reverse("reports:search")


@pytest.fixture
def records(cast):
    a, b = cast["customer_a"], cast["customer_b"]
    stage = OpportunityStage.objects.get(code="proposal")
    ContactFactory(customer=a, name="张伟", phone="13911112222", phone_normalized="13911112222")
    ContactFactory(customer=b, name="张敏", phone="13933334444", phone_normalized="13933334444")
    Opportunity.objects.create(code="OPP-A1", customer=a, owner=cast["rep_a"], title="华为 ERP 升级", stage=stage, amount=Decimal("1.00"))
    Opportunity.objects.create(code="OPP-B1", customer=b, owner=cast["rep_b"], title="信疗 ERP 升级", stage=stage, amount=Decimal("1.00"))
    Quote.objects.create(code="QT-A1", customer=a, owner=cast["rep_a"])
    Quote.objects.create(code="QT-B1", customer=b, owner=cast["rep_b"])
    Contract.objects.create(code="HT-A1", customer=a, owner=cast["rep_a"], signed_on=date(2026, 1, 1), amount=Decimal("1.00"))
    Contract.objects.create(code="HT-B1", customer=b, owner=cast["rep_b"], signed_on=date(2026, 1, 1), amount=Decimal("1.00"))
    SalesOrder.objects.create(code="SO-A1", customer=a, owner=cast["rep_a"], order_date=date(2026, 1, 1))
    SalesOrder.objects.create(code="SO-B1", customer=b, owner=cast["rep_b"], order_date=date(2026, 1, 1))
    return cast


def _groups(response):
    assert response.status_code == 200
    return {g.key: [r["label"] for r in g.rows] for g in response.context["groups"]}


def test_rep_finds_own_records_by_name_code_phone_and_pinyin(records, login_en):
    client = login_en(records["rep_a"])
    assert _groups(client.get(SEARCH, {"q": "华为"})) == {"customers": ["华为技术有限公司"], "opportunities": ["华为 ERP 升级"]}
    assert _groups(client.get(SEARCH, {"q": "hwjs"}))["customers"] == ["华为技术有限公司"]
    assert _groups(client.get(SEARCH, {"q": "C00001"}))["customers"] == ["华为技术有限公司"]
    assert _groups(client.get(SEARCH, {"q": "0755-2878"}))["customers"] == ["华为技术有限公司"]
    assert _groups(client.get(SEARCH, {"q": "1391111"})) == {"customers": ["华为技术有限公司"], "contacts": ["张伟"]}
    assert _groups(client.get(SEARCH, {"q": "QT-A1"})) == {"quotes": ["QT-A1"]}
    assert _groups(client.get(SEARCH, {"q": "HT-A"})) == {"contracts": ["HT-A1"]}
    assert _groups(client.get(SEARCH, {"q": "so-a1"})) == {"orders": ["SO-A1"]}
    response = client.get(SEARCH, {"q": "OPP-A1"})
    assert _groups(response) == {"opportunities": ["华为 ERP 升级"]}
    assert f'href="{reverse("sales:opportunity-detail", args=[Opportunity.objects.get(code="OPP-A1").pk])}"' in response.content.decode()


def test_rep_never_finds_another_reps_records(records, login_en):
    client = login_en(records["rep_a"])
    for text in ("信疗", "C00003", "13800138000", "xlyl", "OPP-B1", "QT-B1", "HT-B1", "SO-B1", "张敏", "1393333"):
        groups = _groups(client.get(SEARCH, {"q": text}))
        assert groups == {}, (text, groups)
    html = client.get(SEARCH, {"q": "张"}).content.decode()  # one character: nothing runs
    assert "张伟" not in html and "张敏" not in html
    # a contact's name finds the contact and (customer_search_q) their customer
    assert _groups(client.get(SEARCH, {"q": "张伟"})) == {"customers": ["华为技术有限公司"], "contacts": ["张伟"]}
    # rep_b finds their own, the manager of team A does not, finance and the admin do
    assert _groups(login_en(records["rep_b"]).get(SEARCH, {"q": "SO-B1"})) == {"orders": ["SO-B1"]}
    assert _groups(login_en(records["manager_a"]).get(SEARCH, {"q": "信疗"})) == {}
    assert "opportunities" in _groups(login_en(records["finance"]).get(SEARCH, {"q": "信疗"}))
    assert _groups(login_en(records["admin"]).get(SEARCH, {"q": "-B1"})) == {}  # codes match from their start


def test_pool_customers_are_found_by_everyone_who_sees_the_pool(records, login_en):
    assert _groups(login_en(records["rep_a"]).get(SEARCH, {"q": "精电"})) == {"customers": ["精电科技有限公司"]}


def test_short_or_empty_query_gives_a_hint_and_runs_nothing(records, login_en, django_assert_max_num_queries):
    client = login_en(records["rep_a"])
    client.get(SEARCH)
    for q in ("", "华", "  a "):
        with django_assert_max_num_queries(6):  # session, user, the header's badges: no search query
            response = client.get(SEARCH, {"q": q})
        assert response.status_code == 200 and 'data-testid="search-hint"' in response.content.decode()
        assert response.context["groups"] == []


def test_at_most_ten_per_kind_with_a_more_link(records, login_en):
    from conftest import make_customer

    for i in range(12):
        make_customer(records["rep_a"], f"华为分公司{i:02d}", f"C1{i:04d}")
    response = login_en(records["rep_a"]).get(SEARCH, {"q": "华为"})
    group = next(g for g in response.context["groups"] if g.key == "customers")
    assert len(group.rows) == 10 and group.more
    assert f'href="{reverse("customers:list")}?q=%E5%8D%8E%E4%B8%BA"' in response.content.decode()


def test_query_count_is_fixed(records, login_en, django_assert_max_num_queries):
    from conftest import make_customer

    client = login_en(records["admin"])
    client.get(SEARCH, {"q": "华为"})
    with django_assert_max_num_queries(12):
        client.get(SEARCH, {"q": "有限"})
    for i in range(15):
        make_customer(records["rep_a"], f"有限{i}", f"C2{i:04d}")
    with django_assert_max_num_queries(12):
        client.get(SEARCH, {"q": "有限"})


def test_htmx_dropdown_shows_the_first_results(records, login_en):
    response = login_en(records["rep_a"]).get(SEARCH, {"q": "华为"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'data-testid="search-dropdown"' in html
    assert "华为技术有限公司" in html and f'{SEARCH}?q=%E5%8D%8E%E4%B8%BA' in html
    assert login_en(records["rep_a"]).get(SEARCH, {"q": "华"}, HTTP_HX_REQUEST="true").content.decode().strip() == ""


def test_top_bar_has_the_search_box_with_htmx(records, login_en):
    html = login_en(records["rep_a"]).get(reverse("customers:list")).content.decode()
    assert 'data-testid="global-search"' in html and f'hx-get="{SEARCH}"' in html and 'delay:300ms' in html


def test_log_a_follow_up_hint(records, login_en):
    response = login_en(records["rep_a"]).get(SEARCH, {"for": "log"})
    assert 'data-testid="search-log-hint"' in response.content.decode()


def test_search_in_chinese(records, login):
    html = login(records["rep_a"]).get(SEARCH, {"q": "华"}).content.decode()
    assert "至少" in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rep_lands_on_the_workbench_and_searches_from_the_top_bar(browser, live_server, cast):  # noqa: F811
    from conftest import seed_flushed_defaults
    from kehu.customers.tests.test_browser import SHOTS, _login

    seed_flushed_defaults()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, live_server.url, "rep_a")
    page.wait_for_url("**/workbench/")
    page.wait_for_selector("[data-testid=wb-followups]")
    assert "工作台" in page.inner_text("main")
    box = page.locator("[data-testid=global-search] input[name=q]")
    box.fill("hwjs")
    page.wait_for_selector("[data-testid=search-dropdown]")
    assert "华为技术有限公司" in page.inner_text("[data-testid=search-dropdown]")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "workbench-search-zh.png"), full_page=True)
    box.press("Enter")
    page.wait_for_url("**/search/?q=hwjs")
    assert "华为技术有限公司" in page.inner_text("main")
    box = page.locator("[data-testid=global-search] input[name=q]")
    box.fill("信疗")  # rep_b's customer: never shown
    box.press("Enter")
    page.wait_for_selector("[data-testid=search-empty]")
    page.close()


@pytest.mark.django_db
def test_names_that_begin_with_the_words_typed_come_first(cast):
    from kehu.reports.selectors.search import global_search

    from conftest import make_customer

    first = make_customer(cast["rep_a"], "精科科技", "C-JK1")
    make_customer(cast["rep_a"], "科精科技", "C-JK2")  # newer, but the words are inside
    make_customer(cast["rep_a"], "材精科技", "C-JK3")
    groups = {g.key: g for g in global_search(user=cast["rep_a"], text="精科")}
    assert groups["customers"].rows[0]["label"] == first.name

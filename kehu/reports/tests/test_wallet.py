"""Share of wallet and growth (DOMAIN.md §7, article 002): the numbers on a small hand-made world,
the opportunity rule, the scope of each role, the page in Chinese and English, the export, bad
values and a fixed number of queries.

The world (year 2025, `?period=2025`):
- customer_a (rep_a): 设备 spend 100,000 (stated +5 %, but 2024's row of 80,000 → computed +25.0 %),
  ours 8,000 (2024: 4,000) → share 8 %, our growth 100 %: an opportunity (room 92,000);
  耗材 spend 50,000 (stated +10 %, no 2024 row), ours 15,000 (product category " 耗材 " trimmed)
  → share 30 %; 服务 no spend, ours 1,000 → share empty. A 2026 and a 2023 order don't count.
- customer_b (rep_b): 设备 spend 200,000 (stated −3 %), ours 0 → share 0, not growing.
- pool_customer: 服务 spend 10,000, no growth at all, ours 3,000 → share 30 %.
- customer_a2 (rep_a2): orders in 2025 but spend only for 2024 → not listed.
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from factories import ProductFactory
from kehu.customers.models import CategorySpend
from kehu.sales.models import OrderLine, SalesOrder
from kehu.sales.summaries import revenue_months_refresh

D = Decimal
URL = "/reports/wallet/"
EXPORT = "/reports/wallet/export/"


def _spend(customer, category, year, amount, growth=None, currency="CNY"):
    return CategorySpend.objects.create(customer=customer, category=category, year=year, annual_spend=D(amount),
                                        growth_pct=None if growth is None else D(growth), currency=currency,
                                        updated_at=timezone.now())


_orders = iter(range(1, 10_000))


def _order(customer, day, *lines, owner=None):
    order = SalesOrder.objects.create(code=f"SOW{next(_orders):05d}", customer=customer, owner=owner or customer.owner,
                                      order_date=day)
    for product, revenue in lines:
        OrderLine.objects.create(order=order, product=product, quantity=D(1), unit_price=D(revenue), unit_cost=D(0),
                                 revenue=D(revenue), cost=D(0))
    revenue_months_refresh(order_ids=[order.pk])  # the summaries, as every write path keeps them
    return order


@pytest.fixture
def world(cast):
    equipment = ProductFactory(code="PW1", category="设备")
    consumable = ProductFactory(code="PW2", category=" 耗材 ")
    service = ProductFactory(code="PW3", category="服务")
    a, b, pool, a2 = cast["customer_a"], cast["customer_b"], cast["pool_customer"], cast["customer_a2"]
    _spend(a, "设备", 2025, "100000.00", "5.0")
    _spend(a, "设备", 2024, "80000.00")
    _spend(a, "耗材", 2025, "50000.00", "10.0")
    _spend(b, "设备", 2025, "200000.00", "-3.0")
    _spend(pool, "服务", 2025, "10000.00")
    _spend(a2, "设备", 2024, "70000.00", "4.0")
    _order(a, date(2025, 3, 1), (equipment, "6000.00"), (consumable, "15000.00"))
    _order(a, date(2025, 12, 31), (equipment, "2000.00"), (service, "1000.00"))
    _order(a, date(2024, 6, 1), (equipment, "4000.00"))
    _order(a, date(2026, 1, 1), (equipment, "99999.00"))
    _order(a, date(2023, 12, 31), (consumable, "77777.00"))
    _order(pool, date(2025, 5, 5), (service, "3000.00"), owner=cast["rep_a"])
    _order(a2, date(2025, 5, 5), (equipment, "5000.00"))
    return cast


def _rows(response):
    return [(r.code, r.category) for r in response.context["wallet"].rows]


def test_director_sees_exact_shares_and_growths(world, login):
    response = login(world["director"]).get(URL, {"period": "2025"})
    assert response.status_code == 200
    wallet = response.context["wallet"]
    assert wallet.year == 2025 and wallet.customers == 3
    assert _rows(response) == [("C00001", "设备"), ("C00003", "设备"), ("C00001", "耗材"), ("C00004", "服务"), ("C00001", "服务")]
    equipment, b, consumable, pool, service = wallet.rows
    assert (equipment.ours, equipment.ours_previous, equipment.spend, equipment.spend_previous) == (D("8000.00"), D("4000.00"), D("100000.00"), D("80000.00"))
    assert equipment.share == D("0.08") and equipment.our_growth == D(1)
    assert (equipment.their_growth, equipment.their_growth_source) == (D("25.0"), "computed")
    assert equipment.is_opportunity and equipment.room == D("92000.00")
    assert (b.ours, b.share, b.our_growth, b.their_growth, b.is_opportunity) == (D(0), D(0), None, D("-3.0"), False)
    assert (consumable.ours, consumable.share, consumable.our_growth) == (D("15000.00"), D("0.3"), None)
    assert (consumable.their_growth, consumable.their_growth_source, consumable.is_opportunity) == (D("10.0"), "stated", False)
    assert (pool.ours, pool.share, pool.their_growth, pool.is_opportunity) == (D("3000.00"), D("0.3"), None, False)
    assert (service.ours, service.spend, service.share, service.is_opportunity) == (D("1000.00"), None, None, False)
    [total] = wallet.totals
    assert (total.currency, total.ours, total.spend) == ("CNY", D("26000.00"), D("360000.00"))
    assert total.share == D("26000") / D("360000")


def test_system_share_is_compared_with_the_threshold_exactly(world, login):
    client = login(world["director"])
    assert client.get(URL, {"period": "2025", "threshold": "8"}).context["wallet"].opportunity_count == 0  # 8 % is not below 8 %
    assert client.get(URL, {"period": "2025", "threshold": "8.01"}).context["wallet"].opportunity_count == 1
    # at 31 % consumables (30 %, growing 10 %) join; customer_b (falling) and the pool (no growth) never
    opportunities = client.get(URL, {"period": "2025", "threshold": "31"}).context["wallet"].opportunities
    assert [(r.code, r.category) for r in opportunities] == [("C00001", "设备"), ("C00001", "耗材")]  # the larger room first


def test_system_growth_from_last_years_row_wins_over_the_stated_one_only_above_zero(world, login):
    _spend(world["customer_b"], "设备", 2024, "0.00")  # a base of 0: the stated growth stays
    b = login(world["director"]).get(URL, {"period": "2025"}).context["wallet"].rows[1]
    assert (b.code, b.their_growth, b.their_growth_source) == ("C00003", D("-3.0"), "stated")


def test_system_categories_match_after_trimming_and_currency_apart(world, login):
    _spend(world["customer_a"], "服务 ", 2025, "4000.00", "12.0")  # stored as typed; matches 服务
    _spend(world["customer_a"], "软件", 2025, "500.00", "50.0", currency="USD")
    software = ProductFactory(code="PW4", category="软件")
    _order(world["customer_a"], date(2025, 7, 7), (software, "100.00"))  # in CNY: its own row, no spend
    rows = login(world["director"]).get(URL, {"period": "2025"}).context["wallet"].rows
    service = [r for r in rows if (r.code, r.category) == ("C00001", "服务")]
    assert len(service) == 1 and service[0].share == D("0.25") and service[0].is_opportunity is False  # 25 % ≥ 20 %
    usd = [r for r in rows if r.currency == "USD"]
    assert len(usd) == 1 and usd[0].ours == 0 and usd[0].share == 0 and usd[0].is_opportunity  # they buy it all elsewhere
    software_cny = [r for r in rows if (r.category, r.currency) == ("软件", "CNY")]
    assert len(software_cny) == 1 and software_cny[0].ours == D("100.00") and software_cny[0].share is None


def test_system_of_two_spend_rows_whose_categories_match_the_one_written_last_counts(world, login):
    """"设备 " matches "设备" (docs/rules.md, Category match). Written after it, it counts — in the
    year and in the year before — though a read in category order would give it first."""
    _spend(world["customer_a"], "设备 ", 2025, "120000.00", "7.0")
    _spend(world["customer_a"], "设备 ", 2024, "90000.00")
    rows = login(world["director"]).get(URL, {"period": "2025"}).context["wallet"].rows
    equipment = [r for r in rows if r.code == "C00001" and r.category.strip() == "设备"]
    assert len(equipment) == 1
    row = equipment[0]
    assert (row.spend_cents, row.spend_previous_cents, row.stated_growth) == (12_000_000, 9_000_000, D("7.0"))
    assert row.their_growth == D("33.3")  # (120,000 − 90,000) ÷ 90,000, from the rows written last


@pytest.mark.parametrize("who, expected", [
    ("rep_a", {("C00001", "设备"), ("C00001", "耗材"), ("C00001", "服务"), ("C00004", "服务")}),
    ("rep_b", {("C00003", "设备"), ("C00004", "服务")}),
    ("manager_a", {("C00001", "设备"), ("C00001", "耗材"), ("C00001", "服务"), ("C00004", "服务")}),
    ("finance", {("C00001", "设备"), ("C00001", "耗材"), ("C00001", "服务"), ("C00003", "设备"), ("C00004", "服务")}),
    ("admin", {("C00001", "设备"), ("C00001", "耗材"), ("C00001", "服务"), ("C00003", "设备"), ("C00004", "服务")}),
])
def test_each_role_sees_only_customers_it_may_open(world, login, who, expected):
    response = login(world[who]).get(URL, {"period": "2025"})
    assert response.status_code == 200
    assert set(_rows(response)) == expected
    export = login(world[who]).get(EXPORT, {"period": "2025"})
    assert export.status_code == 200
    assert {(row[0], row[3]) for row in _sheet(export)[1:]} == expected


def test_director_narrows_to_a_rep_and_a_lead_source(world, login):
    client = login(world["director"])
    assert set(_rows(client.get(URL, {"period": "2025", "rep": world["rep_a"].pk}))) == {("C00001", "设备"), ("C00001", "耗材"), ("C00001", "服务")}
    world["customer_b"].lead_source = "phone"
    world["customer_b"].save(update_fields=["lead_source"])
    assert _rows(client.get(URL, {"period": "2025", "source": "phone"})) == [("C00003", "设备")]


def _sheet(response):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def test_director_exports_every_row_in_scope(world, login_en):
    response = login_en(world["director"]).get(EXPORT, {"period": "2025", "threshold": "31"})
    assert response.status_code == 200 and 'filename="wallet-2025.xlsx"' in response["Content-Disposition"]
    rows = _sheet(response)
    assert rows[0][:3] == ["Code", "Customer", "Value class"]
    assert len(rows) == 6
    first = rows[1]
    assert (first[0], first[3], first[4]) == ("C00001", "设备", "CNY")
    assert [D(str(v)) for v in first[5:11]] == [D("8000"), D("4000"), D("100000"), D("0.08"), D(1), D(25)]
    assert first[11] == "last year's spend" and first[12] == "Yes"
    assert rows[2][12] == "Yes"  # consumables under a 31 % threshold
    assert rows[5][7] is None and rows[5][8] is None  # services: no spend, no share


def test_director_reads_the_call_to_action_in_english_and_chinese(world, login, login_en):
    body = login_en(world["director"]).get(URL, {"period": "2025"}).content.decode()
    assert "Share of wallet and growth" in body
    assert "their spend grows 25.0%, our share 8.00%" in body
    assert "1 opportunity: our share below 20%" in body
    assert reverse("customers:detail", args=[world["customer_a"].pk]) in body
    world["director"].language = "zh-hans"
    world["director"].save(update_fields=["language"])
    body = login(world["director"]).get(URL, {"period": "2025"}).content.decode()
    assert "钱包份额与增长" in body and "其采购增长 25.0%，我们的份额 8.00%" in body


@pytest.mark.parametrize("params", [
    {"threshold": "abc"}, {"threshold": "0"}, {"threshold": "101"}, {"threshold": "-5"}, {"threshold": "1.234"},
    {"threshold": "NaN"}, {"threshold": "Infinity"}, {"period": "2025-Q1"}, {"period": "bogus"}, {"rep": "999999"},
    {"team": "x"}, {"source": "nowhere"}, {"page": "-3"}, {"page": "zz"},
])
def test_director_gets_a_message_not_an_error_for_bad_values(world, login_en, params):
    response = login_en(world["director"]).get(URL, params)
    assert response.status_code == 200
    if "page" not in params:
        assert 'data-testid="filter-problem"' in response.content.decode()
    if "threshold" in params:
        assert "The share threshold must be a number above 0 and at most 100" in response.content.decode()
        assert response.context["wallet"].threshold == 20
    assert login_en(world["director"]).get(EXPORT, params).status_code == 200


def test_rep_sees_an_empty_year_explained(world, login_en):
    body = login_en(world["rep_b"]).get(URL, {"period": "2019"}).content.decode()
    assert 'data-testid="wallet-empty"' in body


def test_system_pages_the_rows(world, login, monkeypatch):
    monkeypatch.setattr("kehu.reports.views.wallet.PAGE_SIZE", 2)
    client = login(world["director"])
    first = client.get(URL, {"period": "2025"}).context["page"]
    assert [r.category for r in first.rows] == ["设备", "设备"] and first.has_next
    third = client.get(URL, {"period": "2025", "page": "3"}).context["page"]
    assert [(r.code, r.category) for r in third.rows] == [("C00001", "服务")] and not third.has_next
    assert "period=2025" in first.next_url


def test_director_page_and_export_take_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    client = login(world["director"])
    with django_assert_max_num_queries(10):
        client.get(URL, {"period": "2025"})
    with django_assert_max_num_queries(6):
        client.get(EXPORT, {"period": "2025"})
    # many more customers and rows: the same count
    equipment = ProductFactory(code="PW1", category="设备")
    from conftest import make_customer

    for i in range(15):
        customer = make_customer(world["rep_b"], f"多客户{i}", f"CX{i:04d}")
        _spend(customer, "设备", 2025, "1000.00", "3.0")
        _spend(customer, "耗材", 2025, "1000.00")
        _order(customer, date(2025, 2, 2), (equipment, "10.00"))
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"period": "2025"})
    assert response.context["wallet"].customers == 18
    with django_assert_max_num_queries(6):
        client.get(EXPORT, {"period": "2025"})


def test_rep_may_not_name_another_teams_rep(world, login_en):
    response = login_en(world["rep_a"]).get(URL, {"period": "2025", "rep": world["rep_b"].pk})
    assert response.status_code == 200
    assert set(_rows(response)) <= {("C00001", "设备"), ("C00001", "耗材"), ("C00001", "服务"), ("C00004", "服务")}


def test_director_sees_the_demo_filled_and_a_second_load_changes_nothing(db, client):
    from kehu.accounts.models import User
    from kehu.dataset.services import demo_company_load

    demo_company_load()
    rows = sorted(CategorySpend.objects.values_list("customer_id", "category", "year", "annual_spend", "growth_pct"))
    assert len(rows) >= 24
    demo_company_load()
    assert sorted(CategorySpend.objects.values_list("customer_id", "category", "year", "annual_spend", "growth_pct")) == rows
    boss = User.objects.get(username="boss")
    client.force_login(boss)
    response = client.get(URL)  # this year, the default
    wallet = response.context["wallet"]
    assert response.status_code == 200 and wallet.customers == 12 and wallet.opportunity_count >= 3
    assert response.context["chart"]["series"][0]["data"]


def test_director_is_offered_only_years(world, login):
    response = login(world["director"]).get(URL)
    assert [p.kind for p in response.context["filter_quick"]] == ["year", "year", "year"]
    assert response.context["wallet"].year == response.context["filter"].today.year


@pytest.mark.parametrize("previous, current, grows", [
    ("100000.00", "100049.99", False),  # +0.04999 % reads 0.0 %: not growing
    ("100000.00", "100050.00", True),   # +0.05 % reads 0.1 %
    ("100000.00", "100000.00", False),
    ("100000.00", "90000.00", False),
])
def test_system_their_growth_above_zero_is_the_rounded_figure(cast, login, previous, current, grows):
    customer = cast["customer_b"]
    _spend(customer, "设备", 2024, previous)
    _spend(customer, "设备", 2025, current, "50.0")  # a stated growth never overrides two recorded years
    [row] = login(cast["director"]).get(URL, {"period": "2025"}).context["wallet"].rows
    assert row.their_growth_source == "computed"
    assert (row.their_growth > 0) is grows and row.is_opportunity is grows

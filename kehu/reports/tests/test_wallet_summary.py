"""Share of wallet read from the monthly category summary (CategoryRevenueMonth): the page's
figures equal the live aggregate of the lines after each kind of write (orders created, a
product's category changed in the admin, a merge), the page reads whole months from the summary,
and the page and the export take a fixed number of queries whatever the number of rows."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import make_customer
from factories import ProductFactory
from kehu.customers.archive.selectors import category_key
from kehu.customers.models import CategorySpend
from kehu.sales.models import CategoryRevenueMonth, OrderLine, SalesOrder
from kehu.sales.summaries import revenue_months_rebuild

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/reports/wallet/"
EXPORT = "/reports/wallet/export/"


def _spend(customer, category, year, amount):
    return CategorySpend.objects.create(customer=customer, category=category, year=year, annual_spend=D(amount), growth_pct=D("5.0"),
                                        currency="CNY", updated_at=timezone.now())


def live() -> dict:
    """Our revenue of 2025 and 2024 by (customer code, category key, currency), from the lines."""
    sums = defaultdict(lambda: [D("0.00"), D("0.00")])
    for line in OrderLine.objects.select_related("order__customer", "product"):
        o = line.order
        if o.order_date.year in (2024, 2025):
            sums[(o.customer.code, category_key(line.product.category), o.currency)][o.order_date.year == 2024] += line.revenue
    return {k: tuple(v) for k, v in sums.items() if any(v)}


def page(client) -> dict:
    wallet = client.get(URL, {"period": "2025"}).context["wallet"]
    return {(r.code, category_key(r.category), r.currency): (r.ours, r.ours_previous) for r in wallet.rows if r.ours or r.ours_previous}


@pytest.fixture
def world(cast):
    from kehu.finance.services import order_create

    products = [ProductFactory(code=f"PS{i}", category=c, list_price=D("100"), unit_cost=D("10"))
                for i, c in enumerate(["设备", "耗材", "服务", "设备 "])]
    customers = [cast["customer_a"], cast["customer_b"]] + [make_customer(cast["rep_a"], f"钱包{i}", f"CW{i:03d}") for i in range(4)]
    for k, customer in enumerate(customers):
        _spend(customer, "设备", 2025, "50000.00")
        _spend(customer, "耗材", 2025, "8000.00")
        for j, day in enumerate([date(2024, 3, 9), date(2025, 1, 1), date(2025, 6, 30), date(2025, 12, 31)]):
            owner = customer.owner or cast["admin"]
            order_create(actor=owner, customer=customer, order_date=day,
                         lines=[{"product": products[(k + j) % 4], "quantity": D(k + j + 1)}, {"product": products[(k + 2 * j) % 4], "quantity": D("0.5")}])
    return {**cast, "products": products, "customers": customers}


def test_director_sees_the_live_figures_after_orders_a_category_change_and_a_merge(world, login, client):
    from kehu.customers.services import customer_merge

    director = login(world["director"])
    before = page(director)
    assert before == live() and before
    # the admin moves a product to another category: the page follows at once
    client.force_login(world["admin"])
    equipment = world["products"][0]
    response = client.post(f"/admin/sales/product/{equipment.pk}/change/", {
        "code": equipment.code, "name": equipment.name, "category": "耗材", "list_price": "100", "unit_cost": "10", "currency": "CNY",
        "is_active": "on"})
    assert response.status_code == 302
    director = login(world["director"])
    assert page(director) == live()
    after = page(director)
    assert after != before and sum(v[0] for k, v in after.items() if k[1] == "耗材") > sum(v[0] for k, v in before.items() if k[1] == "耗材")
    customer_merge(actor=world["admin"], kept=world["customers"][2], merged=world["customers"][3])
    assert page(director) == live()
    assert revenue_months_rebuild() == 0


def test_system_the_page_reads_whole_months_from_the_summary(world, login):
    director = login(world["director"])
    before = page(director)
    a = world["customers"][2]
    cell = CategoryRevenueMonth.objects.filter(customer=a, month=date(2025, 6, 1)).first()
    CategoryRevenueMonth.objects.filter(pk=cell.pk).update(revenue=cell.revenue + D("1000.00"))  # a wrong cell shows
    key = (a.code, category_key(cell.category), cell.currency)
    assert page(director)[key][0] == before[key][0] + D("1000.00")
    assert revenue_months_rebuild() == 1  # the daily check puts it right
    assert page(director) == before == live()


def test_director_page_and_export_take_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    director = login(world["director"])
    assert len(director.get(URL, {"period": "2025"}).context["wallet"].rows) >= 12
    with django_assert_max_num_queries(10):
        director.get(URL, {"period": "2025"})
    with django_assert_max_num_queries(6):
        response = director.get(EXPORT, {"period": "2025"})
    assert response.status_code == 200
    SalesOrder.objects.all().delete()  # no lines at all: the same queries
    CategoryRevenueMonth.objects.all().delete()
    with django_assert_max_num_queries(10):
        director.get(URL, {"period": "2025"})

"""The monthly revenue summary by product category (`CategoryRevenueMonth`, kehu.sales.summaries):
equal to the order lines after every kind of write — order create, an import that edits orders
and their lines (moved, changed, removed), a merge, a product's category changed in the admin or
by an import, the demo — corrected by `kehu summaries rebuild`, and its read (`category_revenue`)
equal to the line-level sums for any periods, whole months or not."""

import io
import random
import shutil
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from conftest import make_customer
from kehu.sales.models import CategoryRevenueMonth, OrderLine, Product, SalesOrder
from kehu.sales.summaries import category_months_refresh_products, category_revenue, revenue_months_rebuild, revenue_months_refresh

pytestmark = pytest.mark.django_db
D = Decimal
EXAMPLE = Path(__file__).resolve().parents[2] / "dataset" / "examples" / "small"


def from_lines() -> dict:
    """The summary computed in Python from every line (the product's category as it is now)."""
    cells = defaultdict(lambda: [D("0.00"), 0])
    for line in OrderLine.objects.select_related("order", "product"):
        o = line.order
        cell = cells[(o.customer_id, line.product.category, o.order_date.replace(day=1), o.currency)]
        cell[0] += line.revenue
        cell[1] += 1
    return {k: tuple(v) for k, v in cells.items()}


def stored() -> dict:
    return {(r.customer_id, r.category, r.month, r.currency): (r.revenue, r.lines) for r in CategoryRevenueMonth.objects.all()}


def assert_exact():
    assert stored() == from_lines()
    assert revenue_months_rebuild() == 0  # nothing to correct in either summary


@pytest.fixture
def products(db):
    return (Product.objects.create(code="P1", name="Widget", category="设备", list_price=D("19.99"), unit_cost=D("12.3456")),
            Product.objects.create(code="P2", name="Paper", category=" 耗材 ", list_price=D("3.50"), unit_cost=D("1")))


def test_system_order_create_keeps_the_category_summary_exact(rep_a, rep_a2, customer_a, customer_a2, products):
    from kehu.finance.services import order_create

    equipment, paper = products
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 3, 31),
                 lines=[{"product": equipment, "quantity": D("3")}, {"product": paper, "quantity": D("2")}])
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 3, 1),
                 lines=[{"product": equipment, "quantity": D("1.5"), "discount_pct": D("12.5")}])
    order_create(actor=rep_a2, customer=customer_a2, order_date=date(2026, 4, 15), lines=[{"product": paper, "quantity": D("7")}])
    assert_exact()
    cell = CategoryRevenueMonth.objects.get(customer=customer_a, category="设备", month=date(2026, 3, 1))
    assert (cell.revenue, cell.lines, cell.currency) == (D("59.97") + D("26.24"), 2, "CNY")
    paper_cell = CategoryRevenueMonth.objects.get(customer=customer_a, month=date(2026, 3, 1), category=" 耗材 ")  # as stored
    assert (paper_cell.revenue, paper_cell.lines) == (D("7.00"), 1)
    assert CategoryRevenueMonth.objects.count() == 3


def _rewrite(path: Path, edit) -> None:
    rows = path.read_text(encoding="utf-8").splitlines()
    edit(rows)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_system_import_edits_of_orders_lines_and_categories_keep_the_summary_exact(tmp_path):
    call_command("import", str(EXAMPLE), stdout=io.StringIO())
    assert CategoryRevenueMonth.objects.exists()
    assert_exact()
    copy = tmp_path / "small"
    shutil.copytree(EXAMPLE, copy)
    orders = (copy / "orders.csv").read_text(encoding="utf-8").splitlines()
    code, customer = orders[1].split(",")[:2]
    other = next(row.split(",")[1] for row in orders[2:] if row.split(",")[1] != customer)

    def move_order(rows):  # an order edited: another customer and month
        parts = rows[1].split(",")
        rows[1] = ",".join([parts[0], other, parts[2], "2023-02-27", parts[4]])

    def edit_lines(rows):  # a line's quantity changed; the second order's lines cut to one (a line removed)
        first = rows[1].split(",")
        first[2] = "3"
        rows[1] = ",".join(first)
        second_order = next(r.split(",")[0] for r in rows[1:] if r.split(",")[0] != first[0])
        kept = [r for r in rows[1:] if r.split(",")[0] == second_order][:1]
        rows[1:] = [r for r in rows[1:] if r.split(",")[0] != second_order] + kept

    def recategorise(rows):  # a product sold to several customers changes category
        parts = rows[1].split(",")
        parts[2] = "新类别"
        rows[1] = ",".join(parts)

    _rewrite(copy / "orders.csv", move_order)
    _rewrite(copy / "order_lines.csv", edit_lines)
    _rewrite(copy / "products.csv", recategorise)
    before = stored()
    call_command("import", str(copy), stdout=io.StringIO())
    assert stored() != before
    assert SalesOrder.objects.get(code=code).order_date == date(2023, 2, 27)
    assert CategoryRevenueMonth.objects.filter(category="新类别").exists()
    assert_exact()

    # the products alone re-imported: only a category changes, no order is written
    products_only = tmp_path / "products"
    products_only.mkdir()
    shutil.copy(copy / "products.csv", products_only / "products.csv")
    _rewrite(products_only / "products.csv", lambda rows: rows.__setitem__(1, rows[1].replace("新类别", "设备")))
    call_command("import", str(products_only), stdout=io.StringIO())
    assert not CategoryRevenueMonth.objects.filter(category="新类别").exists()
    assert_exact()


def test_admin_changes_a_products_category_and_the_summary_follows(admin, client, rep_a, customer_a, customer_b, products):
    from kehu.finance.services import order_create

    equipment, paper = products
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 2, 3),
                 lines=[{"product": equipment, "quantity": D("1")}, {"product": paper, "quantity": D("1")}])
    revenue_months_refresh(customer_ids=[customer_b.pk])
    client.force_login(admin)
    response = client.post(f"/admin/sales/product/{equipment.pk}/change/", {
        "code": "P1", "name": "Widget", "category": "仪器", "list_price": "19.99", "unit_cost": "12.3456", "currency": "CNY", "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Product.objects.get(pk=equipment.pk).category == "仪器"
    assert set(CategoryRevenueMonth.objects.values_list("category", flat=True)) == {"仪器", " 耗材 "}
    assert_exact()
    # a change of another field leaves the summary as it is (no refresh needed)
    before = stored()
    client.post(f"/admin/sales/product/{equipment.pk}/change/", {
        "code": "P1", "name": "Widget 2", "category": "仪器", "list_price": "21", "unit_cost": "12.3456", "currency": "CNY", "is_active": "on"})
    assert Product.objects.get(pk=equipment.pk).name == "Widget 2" and stored() == before


def test_system_category_change_refreshes_every_buyer(rep_a, customer_a, customer_a2, customer_b, products):
    equipment, paper = products
    for k, (customer, product) in enumerate([(customer_a, equipment), (customer_a2, equipment), (customer_b, paper)]):
        order = SalesOrder.objects.create(code=f"CC{k}", customer=customer, owner=rep_a, order_date=date(2025, 5 + k, 9))
        OrderLine.objects.create(order=order, product=product, quantity="1", unit_price="10", unit_cost="0", revenue=D("10.00"), cost=D("0"))
        revenue_months_refresh(order_ids=[order.pk])
    Product.objects.filter(pk=equipment.pk).update(category="仪器")
    assert stored() != from_lines()
    assert category_months_refresh_products(product_ids=[equipment.pk]) == 2  # customer_a and customer_a2, not customer_b
    assert_exact()


def test_system_merge_moves_the_category_summary_with_the_orders(admin, rep_a, rep_a2, customer_a, customer_a2, products):
    from kehu.customers.services import customer_merge
    from kehu.finance.services import order_create

    equipment, paper = products
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 2, 3), lines=[{"product": equipment, "quantity": D("1")}])
    order_create(actor=rep_a2, customer=customer_a2, order_date=date(2026, 2, 9),
                 lines=[{"product": equipment, "quantity": D("2")}, {"product": paper, "quantity": D("1")}])
    customer_merge(actor=admin, kept=customer_a, merged=customer_a2)
    assert_exact()
    assert not CategoryRevenueMonth.objects.filter(customer=customer_a2).exists()
    cell = CategoryRevenueMonth.objects.get(customer=customer_a, category="设备")
    assert (cell.revenue, cell.lines) == (D("59.97"), 2)


def test_system_demo_fills_the_category_summary(settings):
    from kehu.dataset.services import demo_company_load

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_company_load()
    assert CategoryRevenueMonth.objects.exists()
    assert_exact()


def test_system_rebuild_corrects_a_wrong_missing_or_extra_category_cell(rep_a, customer_a, customer_b, products):
    from kehu.finance.services import order_create

    equipment, paper = products
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 2, 3),
                 lines=[{"product": equipment, "quantity": D("1")}, {"product": paper, "quantity": D("1")}])
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 3, 3), lines=[{"product": equipment, "quantity": D("1")}])
    right = stored()
    CategoryRevenueMonth.objects.filter(month=date(2026, 2, 1), category="设备").update(revenue=D("1.00"))
    CategoryRevenueMonth.objects.filter(month=date(2026, 3, 1)).delete()
    CategoryRevenueMonth.objects.create(customer=customer_b, category="x", month=date(2020, 1, 1), revenue=D("5"), lines=1)
    out = io.StringIO()
    call_command("summaries", "rebuild", stdout=out)
    assert "2" in out.getvalue()  # customer_a and customer_b corrected
    assert stored() == right
    assert revenue_months_rebuild() == 0
    CategoryRevenueMonth.objects.all().delete()
    call_command("summaries", "rebuild", "--all", stdout=io.StringIO())
    assert stored() == right


def test_system_deleting_a_customer_for_good_takes_its_cells(rep_a, customer_a, products):
    from kehu.finance.services import order_create

    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 2, 3), lines=[{"product": products[0], "quantity": D("1")}])
    type(customer_a).objects.filter(pk=customer_a.pk).delete()  # its orders and lines go too (CASCADE)
    assert_exact()
    assert not CategoryRevenueMonth.objects.exists()


# --- random orders, random periods -----------------------------------------------------------

def line_sums(customers, periods) -> dict:
    totals = {}
    for line in OrderLine.objects.select_related("order", "product"):
        o = line.order
        if o.customer_id not in customers:
            continue
        for i, (first, last) in enumerate(periods):
            if first <= o.order_date <= last:
                cents = totals.setdefault((o.customer_id, line.product.category, o.currency), [0] * len(periods))
                cents[i] += int(line.revenue * 100)
    return totals


def test_system_random_orders_category_reads_equal_the_lines(rep_a, products, django_assert_max_num_queries):
    rng = random.Random(7)
    customers = [make_customer(rep_a, f"钱包客户{i}", f"W{i:05d}") for i in range(6)]
    catalogue = [*products, Product.objects.create(code="P3", name="Service", category="", list_price=D("1"), unit_cost=D("0"))]
    for k in range(90):
        customer = rng.choice(customers)
        day = date(2024, 11, 1) + timedelta(days=rng.randint(0, 600))
        order = SalesOrder.objects.create(code=f"R{k}", customer=customer, owner=rep_a, order_date=day, currency=rng.choice(["CNY", "CNY", "USD"]))
        for _ in range(rng.randint(0, 3)):
            revenue = D(rng.randint(-500, 10**7)).scaleb(-2)
            OrderLine.objects.create(order=order, product=rng.choice(catalogue), quantity="1", unit_price=max(revenue, 0), unit_cost="0",
                                     revenue=revenue, cost=D(0))
        if k % 2:
            revenue_months_refresh(order_ids=[order.pk])
        else:
            revenue_months_refresh(customer_ids=[customer.pk], months=[day])
    assert_exact()
    some = [c.pk for c in customers[:4]]
    years = [(date(2026, 1, 1), date(2026, 12, 31)), (date(2025, 1, 1), date(2025, 12, 31))]
    with django_assert_max_num_queries(1):  # whole months: the summary alone
        rows = category_revenue(customers=some, periods=years)
    assert {(c, k, cur): list(cents) for c, k, cur, *cents in rows} == line_sums(set(some), years)
    assert [r[:3] for r in rows] == sorted(r[:3] for r in rows)
    for _ in range(12):
        a = date(2024, 11, 1) + timedelta(days=rng.randint(0, 600))
        b = date(2024, 11, 1) + timedelta(days=rng.randint(0, 600))
        periods = [(a, a + timedelta(days=rng.randint(0, 300))), (b, b + timedelta(days=rng.randint(0, 40)))]
        with django_assert_max_num_queries(2):
            rows = category_revenue(customers=type(customers[0]).objects.filter(pk__in=some).values("pk"), periods=periods)
        assert {(c, k, cur): list(cents) for c, k, cur, *cents in rows} == line_sums(set(some), periods), periods
        assert [r[:3] for r in rows] == sorted(r[:3] for r in rows)

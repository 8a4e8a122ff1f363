"""The run's facts read from the monthly revenue summary (whole months) and the order lines (the
partial months at the window's edges) equal the facts summed from every line, for any as-of
date (month ends, mid-month, leap days), after each kind of write: orders, imports, merges,
deletes; and the models' results do not change."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, Sum
from django.test.utils import CaptureQueriesContext

from kehu.dataset.tests.conftest import EXAMPLE
from kehu.ranking.facts import QUERIES, load_facts
from kehu.ranking.scoring import previous_window, window
from kehu.sales.models import OrderLine, Product

pytestmark = pytest.mark.django_db
D = Decimal


def reference(as_of: date, months: int = 12) -> dict:
    """The line facts as the run read them before the summary: every line up to D, joined."""
    start, end = window(as_of, months)
    prev_start, _ = previous_window(as_of, months)
    in_w = Q(order__order_date__gt=start, order__order_date__lte=end)
    in_prev = Q(order__order_date__gt=prev_start, order__order_date__lte=start)
    cents = BigIntegerField()
    list_product = ExpressionWrapper(F("quantity") * F("product__list_price"), output_field=BigIntegerField())
    rows = (
        OrderLine.objects.filter(order__order_date__lte=end, order__customer__is_deleted=False, order__customer__merged_into__isnull=True)
        .values("order__customer_id")
        .annotate(
            sales=Sum("revenue", filter=in_w, output_field=cents), cost=Sum("cost", filter=in_w, output_field=cents),
            sales_prev=Sum("revenue", filter=in_prev, output_field=cents), list_value=Sum(list_product, filter=in_w),
        )
        .order_by()
        .values_list("order__customer_id", "sales", "cost", "sales_prev", "list_value")
    )
    out = {}
    for cid, sales, cost, prev, lv in rows:
        in_window = sales is not None
        out[cid] = (
            True, in_window,
            D(sales).scaleb(-2) if in_window else D("0.00"), D(cost).scaleb(-2) if in_window else D("0.00"),
            D(prev or 0).scaleb(-2), int(lv or 0) if in_window else 0,
        )
    return out


def got(as_of: date, months: int = 12) -> dict:
    facts = load_facts(as_of, months)
    return {
        c.id: (c.has_lines_to_date, c.has_lines_in_window, c.sales, c.cost, c.sales_prev, c.list_value)
        for c in facts.customers.values()
        if c.has_lines_to_date or c.has_lines_in_window or c.sales or c.sales_prev or c.list_value
    }


DATES = [
    date(2026, 6, 30), date(2026, 6, 15), date(2026, 3, 1), date(2026, 2, 28), date(2025, 12, 31), date(2025, 11, 17),
    date(2024, 2, 29), date(2025, 7, 31), date(2025, 1, 1),
]


def assert_same(dates=DATES, months=(12, 3, 1, 7)):
    for as_of in dates:
        for m in months:
            assert got(as_of, m) == reference(as_of, m), (as_of, m)


@pytest.fixture
def example(db):
    call_command("import", str(EXAMPLE), stdout=io.StringIO())


def test_system_example_facts_equal_the_line_sums_for_any_date_and_window(example):
    assert_same()


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="Widget", list_price=D("19.99"), unit_cost=D("12.3456"))


@pytest.fixture
def world(rep_a, rep_a2, customer_a, customer_a2, customer_b, product):
    from kehu.finance.services import order_create

    days = [date(2024, 6, 30), date(2024, 7, 1), date(2025, 2, 28), date(2025, 6, 14), date(2025, 6, 15), date(2025, 6, 16),
            date(2025, 6, 30), date(2025, 7, 1), date(2026, 2, 28), date(2026, 6, 15), date(2026, 6, 16), date(2026, 6, 30)]
    for i, day in enumerate(days):
        order_create(actor=rep_a, customer=customer_a, order_date=day, lines=[{"product": product, "quantity": D(i + 1)}])
        if i % 2:
            order_create(actor=rep_a2, customer=customer_a2, order_date=day + timedelta(days=i),
                         lines=[{"product": product, "quantity": D("0.5"), "discount_pct": D("12.5")}, {"product": product, "quantity": D("0.0001")}])
    return days


def test_system_order_writes_keep_the_facts_exact(world, rep_b, customer_b, product):
    from kehu.finance.services import order_create

    assert_same()
    order_create(actor=rep_b, customer=customer_b, order_date=date(2026, 6, 15), lines=[{"product": product, "quantity": D("3")}])
    assert_same()


def test_system_merge_and_delete_keep_the_facts_exact(world, admin, customer_a, customer_a2, customer_b):
    from kehu.customers.services import customer_merge

    customer_merge(actor=admin, kept=customer_a, merged=customer_a2)
    assert_same()
    assert customer_a2.pk not in got(date(2026, 6, 30))
    customer_a.is_deleted = True  # the recycle bin: left out, whatever the summary keeps
    customer_a.save(update_fields=["is_deleted"])
    assert_same()
    assert got(date(2026, 6, 30)) == {}


def test_system_list_price_change_is_read_at_the_run(world, product):
    """The price level uses the product's current list price: read from the lines, not kept."""
    Product.objects.filter(pk=product.pk).update(list_price=D("25.0001"))
    assert_same()


def test_load_facts_query_count_is_fixed(world, rep_a, product, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as ctx:
        facts = load_facts(date(2026, 6, 17), 12)  # mid-month: summary + edge lines + list value
    assert len(ctx.captured_queries) == facts.queries == QUERIES
    with CaptureQueriesContext(connection) as ctx:
        facts = load_facts(date(2026, 6, 30), 12, list_value=False)  # whole months only, no list value
    assert len(ctx.captured_queries) == facts.queries == QUERIES - 2


def test_a_customer_without_lines_in_the_window_is_a_prospect_only_without_any_line(world, customer_a, customer_b):
    facts = load_facts(date(2030, 6, 30), 12)
    assert facts.customers[customer_a.pk].has_lines_to_date and not facts.customers[customer_a.pk].has_lines_in_window
    assert facts.customers[customer_a.pk].sales_prev == D("0.00")
    assert not facts.customers[customer_b.pk].has_lines_to_date
    facts = load_facts(date(2024, 6, 29), 1)
    assert not facts.customers[customer_a.pk].has_lines_to_date
    facts = load_facts(date(2024, 6, 30), 1)
    assert facts.customers[customer_a.pk].has_lines_in_window
    assert facts.customers[customer_a.pk].sales == D("19.99")

"""The monthly revenue summary (kehu.sales.summaries): equal to the order lines after every
write path, and its read equal to the line-level sums for any date range."""

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
from kehu.sales.models import OrderLine, Product, RevenueMonth, SalesOrder
from kehu.sales.summaries import revenue_by, revenue_months_rebuild, revenue_months_refresh, whole_months

pytestmark = pytest.mark.django_db
D = Decimal
EXAMPLE = Path(__file__).resolve().parents[2] / "dataset" / "examples" / "small"


def from_lines() -> dict:
    """The summary computed in Python from every line, independently of the SQL."""
    cells = defaultdict(lambda: [D("0.00"), D("0.00"), 0])
    for line in OrderLine.objects.select_related("order"):
        o = line.order
        cell = cells[(o.customer_id, o.owner_id, o.order_date.replace(day=1), o.currency)]
        cell[0] += line.revenue
        cell[1] += line.cost
        cell[2] += 1
    return {k: tuple(v) for k, v in cells.items()}


def stored() -> dict:
    return {(r.customer_id, r.owner_id, r.month, r.currency): (r.revenue, r.cost, r.lines) for r in RevenueMonth.objects.all()}


def assert_exact():
    assert stored() == from_lines()
    assert revenue_months_rebuild() == 0  # nothing to correct


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="Widget", list_price=D("19.99"), unit_cost=D("12.3456"))


def test_system_order_create_keeps_the_summary_exact(rep_a, customer_a, customer_a2, rep_a2, product):
    from kehu.finance.services import order_create

    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 3, 31), lines=[{"product": product, "quantity": D("3")}])
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 3, 1),
                 lines=[{"product": product, "quantity": D("1.5"), "discount_pct": D("12.5")}, {"product": product, "quantity": D("0.0001")}])
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 4, 1), lines=[{"product": product, "quantity": D("2")}])
    order_create(actor=rep_a2, customer=customer_a2, order_date=date(2026, 3, 15), lines=[{"product": product, "quantity": D("7")}])
    assert_exact()
    march = RevenueMonth.objects.get(customer=customer_a, month=date(2026, 3, 1))
    assert (march.owner_id, march.lines, march.currency) == (rep_a.pk, 3, "CNY")
    assert march.revenue == D("59.97") + D("26.24") + D("0.00")  # 3 × 19.99; 1.5 × 19.99 × 0.875 = 26.236875 → 26.24
    assert RevenueMonth.objects.count() == 3


def test_system_import_and_reimport_keep_the_summary_exact(tmp_path):
    call_command("import", str(EXAMPLE), stdout=io.StringIO())
    assert RevenueMonth.objects.exists()
    assert_exact()
    # Re-import with an order moved to another month and customer, its lines changed.
    copy = tmp_path / "small"
    shutil.copytree(EXAMPLE, copy)
    orders = (copy / "orders.csv").read_text(encoding="utf-8").splitlines()
    code, customer, owner, day, currency = orders[1].split(",")
    other = next(row.split(",")[1] for row in orders[2:] if row.split(",")[1] != customer)
    orders[1] = ",".join([code, other, owner, "2023-02-27", currency])
    (copy / "orders.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")
    lines = (copy / "order_lines.csv").read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[2] = "3"
    lines[1] = ",".join(first)
    (copy / "order_lines.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = stored()
    call_command("import", str(copy), stdout=io.StringIO())
    assert stored() != before
    assert SalesOrder.objects.get(code=code).order_date == date(2023, 2, 27)
    assert_exact()


def test_system_merge_moves_the_summary_with_the_orders(admin, rep_a, rep_a2, customer_a, customer_a2, product):
    from kehu.customers.services import customer_merge
    from kehu.finance.services import order_create

    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 2, 3), lines=[{"product": product, "quantity": D("1")}])
    order_create(actor=rep_a2, customer=customer_a2, order_date=date(2026, 2, 9), lines=[{"product": product, "quantity": D("2")}])
    customer_merge(actor=admin, kept=customer_a, merged=customer_a2)
    assert_exact()
    assert not RevenueMonth.objects.filter(customer=customer_a2).exists()
    assert {r.owner_id for r in RevenueMonth.objects.filter(customer=customer_a)} == {rep_a.pk, rep_a2.pk}  # each order keeps its owner


def test_system_handover_leaves_the_orders_and_the_summary_as_they_are(director, rep_a, rep_a2, customer_a, product):
    from kehu.customers.services import customer_handover
    from kehu.finance.services import order_create

    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 2, 3), lines=[{"product": product, "quantity": D("1")}])
    before = stored()
    customer_handover(actor=director, from_user=rep_a, to_user=rep_a2)
    assert stored() == before
    assert_exact()


def test_system_demo_fills_the_summary(settings):
    from kehu.dataset.services import demo_company_load

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_company_load()
    assert RevenueMonth.objects.exists()
    assert_exact()


def test_system_rebuild_corrects_a_wrong_missing_or_extra_cell(rep_a, customer_a, customer_b, product):
    from kehu.finance.services import order_create

    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 2, 3), lines=[{"product": product, "quantity": D("1")}])
    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 3, 3), lines=[{"product": product, "quantity": D("1")}])
    right = stored()
    RevenueMonth.objects.filter(month=date(2026, 2, 1)).update(revenue=D("1.00"))
    RevenueMonth.objects.filter(month=date(2026, 3, 1)).delete()
    RevenueMonth.objects.create(customer=customer_b, owner=None, month=date(2020, 1, 1), revenue=D("5"), cost=D("0"), lines=1)
    out = io.StringIO()
    call_command("summaries", "rebuild", stdout=out)
    assert "2" in out.getvalue()  # customer_a and customer_b corrected
    assert stored() == right
    assert revenue_months_rebuild() == 0
    RevenueMonth.objects.all().delete()
    call_command("summaries", "rebuild", "--all", stdout=io.StringIO())
    assert stored() == right


def test_system_daily_checks_the_summary_just_before_the_anomaly_alerts_read_it():
    from kehu.core.hooks import daily_steps

    keys = [step.key for step in daily_steps()]
    assert keys.index("revenue_months") == keys.index("anomaly_alerts") - 1 and keys[-1] == "digests"


# --- random orders, random ranges ------------------------------------------------------------

def line_sums(first, last, key, *, live=True):
    totals = defaultdict(lambda: D("0.00"))
    for line in OrderLine.objects.select_related("order__customer"):
        o = line.order
        if not first <= o.order_date <= last:
            continue
        if live and (o.customer.is_deleted or o.customer.merged_into_id):
            continue
        totals[key(o)] += line.revenue
    return dict(totals)


def summary_sums(rows, names):
    totals = defaultdict(lambda: D("0.00"))
    for r in rows:
        totals[tuple(r[n] for n in names) if len(names) > 1 else r[names[0]]] += r["revenue"]
    return dict(totals)


def test_system_random_orders_summary_and_reads_equal_the_lines(rep_a, rep_b, admin, product, django_assert_max_num_queries):
    from kehu.customers.services import customer_delete, customer_restore

    rng = random.Random(12)
    customers = [make_customer(rng.choice([rep_a, rep_b, None]), f"随机客户{i}", f"R{i:05d}", lead_source=rng.choice(["referral", "web", ""]))
                 for i in range(8)]
    for k in range(120):
        customer = rng.choice(customers)
        day = date(2025, 1, 1) + timedelta(days=rng.randint(0, 500))
        order = SalesOrder.objects.create(code=f"X{k}", customer=customer, owner=rng.choice([rep_a, rep_b, None]), order_date=day,
                                          currency=rng.choice(["CNY", "CNY", "USD"]))
        for _ in range(rng.randint(0, 3)):
            revenue = D(rng.randint(-500, 10**7)).scaleb(-2)
            OrderLine.objects.create(order=order, product=product, quantity="1", unit_price=revenue if revenue > 0 else 0, unit_cost="0",
                                     revenue=revenue, cost=D(rng.randint(0, 10**6)).scaleb(-2))
        if k % 3 == 0:  # refreshed by order, by customer and month, by customer
            revenue_months_refresh(order_ids=[order.pk])
        elif k % 3 == 1:
            revenue_months_refresh(customer_ids=[customer.pk], months=[day])
        else:
            revenue_months_refresh(customer_ids=[customer.pk])
    # an order moved to another day and owner (as an import may), then refreshed
    moved = SalesOrder.objects.filter(lines__isnull=False).first()
    SalesOrder.objects.filter(pk=moved.pk).update(order_date=date(2026, 5, 20), owner=None)
    revenue_months_refresh(order_ids=[moved.pk])
    assert_exact()

    customer_delete(actor=admin, customer=customers[0])
    ranges = [(date(2025, 1, 1), date(2026, 6, 30)), (date(2025, 3, 1), date(2025, 3, 31)), (date(2025, 3, 10), date(2025, 3, 16)),
              (date(2025, 2, 15), date(2025, 7, 3)), (date(2025, 12, 29), date(2026, 1, 4)), (date(2025, 4, 1), date(2025, 6, 29))]
    for _ in range(10):
        a = date(2025, 1, 1) + timedelta(days=rng.randint(0, 520))
        ranges.append((a, a + timedelta(days=rng.randint(0, 200))))
    for first, last in ranges:
        with django_assert_max_num_queries(2):
            rows = revenue_by(first=first, last=last, group=("owner_id", "month"))
        expected = line_sums(first, last, lambda o: (o.owner_id, o.order_date.replace(day=1)))
        assert summary_sums(rows, ["owner_id", "month"]) == expected, (first, last)
        rows = revenue_by(first=first, last=last, group=("customer__lead_source", "currency"))
        assert summary_sums(rows, ["customer__lead_source", "currency"]) == line_sums(first, last, lambda o: (o.customer.lead_source, o.currency))
        rows = revenue_by(first=first, last=last, narrow=lambda qs, p: qs.filter(**{f"{p}owner": rep_a}))
        assert sum((r["revenue"] for r in rows), D("0.00")) == line_sums(first, last, lambda o: o.owner_id).get(rep_a.pk, D("0.00"))
    # the deleted customer is left out without any refresh; restored, it counts again
    first, last = ranges[0]
    assert not any(r["customer_id"] == customers[0].pk for r in revenue_by(first=first, last=last, group=("customer_id",)))
    all_rows = revenue_by(first=first, last=last, group=("customer_id",), live=False)
    assert summary_sums(all_rows, ["customer_id"]) == line_sums(first, last, lambda o: o.customer_id, live=False)
    customer_restore(actor=admin, customer=customers[0])
    assert summary_sums(revenue_by(first=first, last=last, group=("customer_id",)), ["customer_id"]) == line_sums(first, last, lambda o: o.customer_id)


def test_system_merged_customers_are_left_out_of_reads(admin, rep_a, customer_a, customer_a2, product):
    SalesOrder.objects.create(code="M1", customer=customer_a2, owner=rep_a, order_date=date(2026, 1, 5))
    OrderLine.objects.create(order=SalesOrder.objects.get(code="M1"), product=product, quantity="1", unit_price="10", unit_cost="0",
                             revenue=D("10.00"), cost=D("0"))
    revenue_months_refresh(customer_ids=[customer_a2.pk])
    assert revenue_by(first=date(2026, 1, 1), last=date(2026, 1, 31))[0]["revenue"] == D("10.00")
    type(customer_a2).objects.filter(pk=customer_a2.pk).update(merged_into=customer_a)  # merged away, orders not moved (as before a merge)
    assert revenue_by(first=date(2026, 1, 1), last=date(2026, 1, 31)) == []
    assert revenue_by(first=date(2026, 1, 2), last=date(2026, 1, 9)) == []  # the line-level edge too


def test_system_whole_months_of_a_range():
    assert whole_months(date(2026, 1, 1), date(2026, 3, 31)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert whole_months(date(2026, 1, 2), date(2026, 3, 30)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert whole_months(date(2026, 1, 5), date(2026, 1, 11)) is None  # an ISO week: lines only
    assert whole_months(date(2024, 2, 1), date(2024, 2, 29)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert whole_months(date(2026, 1, 15), date(2026, 2, 14)) is None


def test_system_two_cells_for_one_ownerless_month_are_refused(customer_a):
    from django.db import IntegrityError, transaction

    RevenueMonth.objects.create(customer=customer_a, owner=None, month=date(2026, 1, 1), revenue=D("1"), cost=D("0"), lines=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RevenueMonth.objects.create(customer=customer_a, owner=None, month=date(2026, 1, 1), revenue=D("1"), cost=D("0"), lines=1)


def test_system_daily_step_checks_once_a_day(rep_a, customer_a, product):
    from datetime import datetime, timezone as dt_timezone

    from kehu.finance.services import order_create
    from kehu.sales.summaries import daily_revenue_months

    order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 2, 3), lines=[{"product": product, "quantity": D("1")}])
    RevenueMonth.objects.update(revenue=D("0.01"))
    now = datetime(2026, 8, 2, 9, tzinfo=dt_timezone.utc)
    assert daily_revenue_months(now=now) == 1
    RevenueMonth.objects.update(revenue=D("0.02"))
    assert daily_revenue_months(now=now) == 0  # checked today already
    assert daily_revenue_months(now=now.replace(day=3)) == 1
    assert_exact()

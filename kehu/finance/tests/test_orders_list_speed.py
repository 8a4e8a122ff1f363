"""The order list and credit holds (issue 13): one page of order ids, then that page's orders and
their totals — the same rows, order and totals as `selectors.order_list`, in a fixed number of
queries whatever the number of orders and lines."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import make_customer
from kehu.finance import selectors
from kehu.sales.models import OrderLine, Product, SalesOrder

D = Decimal
DAY = date(2026, 6, 30)
Status = SalesOrder.Status


def _order(code, customer, day, lines=(), status=Status.CONFIRMED, product=None):
    order = SalesOrder.objects.create(code=code, customer=customer, owner=customer.owner, order_date=day, status=status)
    for revenue in lines:
        OrderLine.objects.create(order=order, product=product, quantity=D("1"), unit_price=revenue, unit_cost=D("0"),
                                 revenue=revenue, cost=D("0"))
    return order


@pytest.fixture
def world(cast):
    """Two orders on one day (ties by id), an order without lines, a blocked one, the pool's,
    another team's and a customer in the recycle bin."""
    product = Product.objects.create(code="P1", name="Widget", list_price=D("10.00"), unit_cost=D("1.0000"))
    gone = make_customer(cast["rep_a"], "回收站客户", "C00009", is_deleted=True)
    a, a2, b, pool = cast["customer_a"], cast["customer_a2"], cast["customer_b"], cast["pool_customer"]
    _order("SO-A1", a, DAY, ["10.00", "5.50"], product=product)
    _order("SO-A2", a, DAY, ["1.25"], product=product)
    _order("SO-A3", a, DAY - timedelta(days=1), [], status=Status.DRAFT, product=product)
    _order("SO-A4", a, DAY - timedelta(days=3), ["7.00", "7.00", "7.00"], status=Status.BLOCKED, product=product)
    _order("SO-A21", a2, DAY - timedelta(days=2), ["3.33"], product=product)
    _order("SO-B1", b, DAY + timedelta(days=1), ["100.00"], status=Status.BLOCKED, product=product)
    _order("SO-P1", pool, DAY - timedelta(days=1), ["2.00", "0.01"], product=product)
    _order("SO-X1", gone, DAY + timedelta(days=5), ["9.99"], product=product)
    return cast


def _rows(client, name, query=""):
    page = client.get(reverse(name) + query).context["page"]
    return [(o.code, o.total) for o in page.rows]


EXPECTED = {
    "rep_a": [("SO-A2", D("1.25")), ("SO-A1", D("15.50")), ("SO-P1", D("2.01")), ("SO-A3", None), ("SO-A4", D("21.00"))],
    "rep_b": [("SO-B1", D("100.00")), ("SO-P1", D("2.01"))],
    "manager_a": [("SO-A2", D("1.25")), ("SO-A1", D("15.50")), ("SO-P1", D("2.01")), ("SO-A3", None), ("SO-A21", D("3.33")),
                  ("SO-A4", D("21.00"))],
    "director": [("SO-B1", D("100.00")), ("SO-A2", D("1.25")), ("SO-A1", D("15.50")), ("SO-P1", D("2.01")), ("SO-A3", None),
                 ("SO-A21", D("3.33")), ("SO-A4", D("21.00"))],
}
EXPECTED["finance"] = EXPECTED["admin"] = EXPECTED["director"]


@pytest.mark.parametrize("role", ["rep_a", "rep_b", "manager_a", "director", "finance", "admin"])
def test_order_list_rows_order_and_totals_per_role(world, login, role):
    client = login(world[role])
    rows = _rows(client, "finance:order-list")
    assert rows == EXPECTED[role]
    reference = [(o.code, o.total) for o in selectors.order_list(user=world[role])]
    assert rows == reference
    blocked = [r for r in EXPECTED[role] if r[0] in ("SO-A4", "SO-B1")]
    assert _rows(client, "finance:order-list", "?status=blocked") == blocked
    assert _rows(client, "finance:order-list", "?status=draft") == [r for r in EXPECTED[role] if r[0] == "SO-A3"]
    if role not in ("rep_a", "rep_b"):
        assert _rows(client, "finance:credit-holds") == blocked


def test_order_list_page_shows_totals_with_money(world, login_en):
    body = login_en(world["director"]).get(reverse("finance:order-list")).content.decode()
    assert "SO-X1" not in body
    for text in ("SO-B1", "¥100.00", "¥15.50", "¥21.00", "¥2.01"):
        assert text in body


def test_order_list_pages_through_every_order_once(world, login):
    customer = world["customer_a"]
    product = Product.objects.get(code="P1")
    for n in range(60):
        _order(f"SO-M{n:02d}", customer, DAY - timedelta(days=10 + n % 7), ["1.00"] * (n % 3), product=product)
    client = login(world["rep_a"])
    first = client.get(reverse("finance:order-list")).context["page"]
    second = client.get(reverse("finance:order-list") + "?page=2").context["page"]
    assert first.has_next and not second.has_next and len(first.rows) == 50 and first.total == 65 and not first.total_capped
    shown = [(o.code, o.total) for o in first.rows + second.rows]
    assert shown == [(o.code, o.total) for o in selectors.order_list(user=world["rep_a"])]
    assert len({c for c, _t in shown}) == 65


@pytest.mark.parametrize("role", ["rep_a", "manager_a", "director", "finance"])
def test_order_list_query_count_is_fixed(world, login, role, django_assert_max_num_queries):
    customer = world["customer_a"]
    product = Product.objects.get(code="P1")
    for n in range(30):
        _order(f"SO-N{n:02d}", customer, DAY - timedelta(days=20 + n), ["1.00", "2.00"], status=Status.BLOCKED if n % 2 else Status.CONFIRMED,
               product=product)
    client = login(world[role])
    # session, user, (the manager's team), notifications, quotes badge … + ids, count, orders, totals
    with django_assert_max_num_queries(11):
        assert client.get(reverse("finance:order-list")).status_code == 200
    with django_assert_max_num_queries(11):
        assert client.get(reverse("finance:order-list") + "?status=blocked&page=1").status_code == 200
    if role != "rep_a":
        with django_assert_max_num_queries(11):
            assert client.get(reverse("finance:credit-holds")).status_code == 200


# --- the payment list: one page of ids, then those payments ---------------------------------------

@pytest.mark.parametrize("role", ["rep_a", "manager_a", "director", "finance"])
def test_payment_list_pages_the_same_rows_in_the_same_order(cast, login, role, django_assert_max_num_queries):
    from kehu.finance.services import payment_record

    actor = cast["finance"]
    for n, customer in enumerate(["customer_a", "customer_a2", "customer_b", "pool_customer"] * 15):
        payment_record(actor=actor, customer=cast[customer], amount=D("1.00") + n, paid_on=DAY - timedelta(days=n % 4), code=f"PY{n:02d}")
    user = cast[role]
    client = login(user)
    with django_assert_max_num_queries(9):
        first = client.get(reverse("finance:payment-list")).context["page"]
    second = client.get(reverse("finance:payment-list") + "?page=2").context["page"]
    shown = [(p.code, p.amount, p.customer.name) for p in first.rows + second.rows]
    expected = [(p.code, p.amount, p.customer.name) for p in selectors.payment_list(user=user)]
    assert shown == expected
    assert len(expected) == {"rep_a": 30, "manager_a": 45, "director": 60, "finance": 60}[role]
    assert [p.code for p in client.get(reverse("finance:payment-list") + "?q=PY0").context["page"].rows] == \
        [p.code for p in selectors.payment_list(user=user, text="PY0")]

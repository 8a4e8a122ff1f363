"""Quote and order lines are checked in one place (kehu.sales.lines): the quote service, the
order service and both line forms accept and refuse exactly the same lines."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from kehu.finance.services import orders
from kehu.finance.services import FinanceError
from kehu.sales import services
from kehu.sales.models import Product, Quote, SalesOrder

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def english(cast):
    for key in ("rep_a", "manager_a"):
        cast[key].language = "en"
        cast[key].save(update_fields=["language"])
    with translation.override("en"):
        yield


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="Widget", list_price=Decimal("100.0000"), unit_cost=Decimal("60.0000"))


@pytest.fixture
def retired(db):
    return Product.objects.create(code="OLD", name="Retired", list_price=Decimal("10"), unit_cost=Decimal("1"), is_active=False)


def quote(actor, customer, line):
    return services.quote_create(actor=actor, customer=customer, lines=[line])


def order(actor, customer, line):
    return orders.order_create(actor=actor, customer=customer, order_date=TODAY, currency="CNY", lines=[line])


def test_rep_ordering_a_product_no_longer_sold_is_refused(rep_a, customer_a, product, retired):
    with pytest.raises(FinanceError, match=r"Line 2: Retired \(OLD\) is no longer sold\."):
        orders.order_create(actor=rep_a, customer=customer_a, order_date=TODAY, currency="CNY",
                            lines=[{"product": product, "quantity": "1"}, {"product": retired, "quantity": "1"}])
    assert not SalesOrder.objects.exists()


@pytest.mark.parametrize("line, message", [
    ({"quantity": "0"}, "The quantity must be more than zero."),
    ({"quantity": "-1"}, "The quantity must be more than zero."),
    ({"quantity": "1000000000.0001"}, "The quantity is at most 1,000,000,000."),
    ({"quantity": "1.00001"}, "At most 4 decimals."),
    ({"unit_price": "-0.01"}, "The unit price cannot be negative."),
    ({"unit_price": "1000000001"}, "The unit price is at most 1,000,000,000."),
    ({"discount_pct": "100.01"}, "The discount is from 0 to 100 %."),
    ({"discount_pct": "-1"}, "The discount is from 0 to 100 %."),
    ({"quantity": "1000000", "unit_price": "1000000"}, "The line amount is at most 9,999,999,999.99."),
])
def test_rep_gets_the_same_refusal_on_a_quote_and_an_order(rep_a, customer_a, product, line, message):
    line = {"product": product, "quantity": "1", **line}
    with pytest.raises(services.SalesError) as on_quote:
        quote(rep_a, customer_a, line)
    with pytest.raises(FinanceError) as on_order:
        order(rep_a, customer_a, line)
    assert str(on_quote.value) == str(on_order.value) == f"Line 1: {message}"
    assert not Quote.objects.exists() and not SalesOrder.objects.exists()


def test_rep_gets_the_bounds_accepted_on_both(rep_a, customer_a, product):
    line = {"product": product, "quantity": "100000", "unit_price": "100000", "discount_pct": "100"}
    assert quote(rep_a, customer_a, line).total == Decimal("0.00")
    line = {"product": product, "quantity": "999999", "unit_price": "10000", "discount_pct": "0", "unit_cost": "0"}
    assert orders.order_total(order(rep_a, customer_a, line)) == Decimal("9999990000.00")  # under MONEY_MAX


def _order_post(product, **line):
    data = {"contract": "", "order_date": "2026-06-30", "currency": "CNY", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "100", "lines-0-product": str(product.pk), "lines-0-quantity": "1"}
    data.update({f"lines-0-{k}": v for k, v in line.items()})
    return data


def _quote_post(product, **line):
    data = {"currency": "CNY", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "100", "lines-0-product": str(product.pk), "lines-0-quantity": "1"}
    data.update({f"lines-0-{k}": v for k, v in line.items()})
    return data


def test_rep_sees_the_line_problem_beside_the_field_on_both_forms(login, rep_a, customer_a, product):
    client = login(rep_a)
    body = client.post(reverse("sales:quote-create", args=[customer_a.pk]), _quote_post(product, unit_price="1000000001")).content.decode()
    assert "The unit price is at most 1,000,000,000." in body and not Quote.objects.exists()
    body = client.post(reverse("finance:order-create", args=[customer_a.pk]), _order_post(product, unit_cost="1000000001")).content.decode()
    assert "The unit cost is at most 1,000,000,000." in body and not SalesOrder.objects.exists()


def test_rep_editing_a_quote_with_a_retired_product_is_told_on_that_line(login, rep_a, customer_a, product):
    old = Product.objects.create(code="OLD", name="Retired", list_price=Decimal("10"), unit_cost=Decimal("1"))
    draft = quote(rep_a, customer_a, {"product": old, "quantity": "1"})
    Product.objects.filter(pk=old.pk).update(is_active=False)
    client = login(rep_a)
    url = reverse("sales:quote-edit", args=[draft.pk])
    assert f'value="{old.pk}"' in client.get(url).content.decode()  # still shown on its line
    data = {"opportunity": "", "valid_until": "", "notes": "", "payment_term_days": "", "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "100",
            "lines-0-product": str(old.pk), "lines-0-quantity": "2", "lines-0-unit_price": "10", "lines-0-discount_pct": "0"}
    body = client.post(url, data).content.decode()
    assert "Retired (OLD) is no longer sold." in body
    assert draft.lines.get().quantity == Decimal("1.0000")

"""Issue 10 item 1 for finance: every date a user types — payments, write-offs, contracts and
their instalments, orders and shipments — is within 2000-01-01..2099-12-31, with a clear
message; nothing is written otherwise."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.finance.models import Instalment, Payment, Receivable, WriteOff
from kehu.sales.models import Contract, Opportunity, OpportunityStage, Product, SalesOrder

D = Decimal
MESSAGE = "Enter a date between 2000-01-01 and 2099-12-31."
FAR = ["9999-12-31", "1999-12-31", "0001-01-01"]


@pytest.fixture
def en(client):
    def _login(user):
        user.language = "en"
        user.save(update_fields=["language"])
        client.force_login(user)
        return client
    return _login


@pytest.mark.parametrize("day", FAR)
def test_finance_payment_date_out_of_range_is_refused(en, finance, customer_a, day):
    response = en(finance).post(reverse("finance:payment-create", args=[customer_a.pk]), {"amount": "10.00", "paid_on": day})
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.parametrize("day", FAR)
def test_finance_write_off_date_out_of_range_is_refused(en, finance, customer_a, day):
    r = Receivable.objects.create(customer=customer_a, amount=D("10.00"), open_amount=D("10.00"), issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1))
    response = en(finance).post(reverse("finance:receivable-writeoff", args=[r.pk]), {"amount": "10.00", "written_on": day, "reason": "x"})
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert not WriteOff.objects.exists()


@pytest.mark.parametrize("field", ["signed_on", "plan-0-due_on"])
def test_rep_contract_dates_out_of_range_are_refused(en, rep_a, customer_a, field):
    opp = Opportunity.objects.create(code="O-D", customer=customer_a, owner=rep_a, title="D", stage=OpportunityStage.objects.get(code="won"),
                                     amount=D("100.00"))
    data = {"source": f"o{opp.pk}", "signed_on": "2026-03-01", "amount": "", "currency": "", "payment_term_days": "",
            "plan-TOTAL_FORMS": "1", "plan-INITIAL_FORMS": "0", "plan-MIN_NUM_FORMS": "1", "plan-MAX_NUM_FORMS": "60",
            "plan-0-due_on": "2026-04-01", "plan-0-amount": "100.00"}
    data[field] = "9999-12-31"
    response = en(rep_a).post(reverse("finance:contract-create", args=[customer_a.pk]), data)
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert not Contract.objects.exists() and not Instalment.objects.exists()


def test_rep_order_date_out_of_range_is_refused(en, rep_a, customer_a):
    product = Product.objects.create(code="P-D", name="D", list_price=D("10.00"), unit_cost=D("1.00"))
    data = {"contract": "", "order_date": "9999-12-31", "currency": "CNY", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "100", "lines-0-product": str(product.pk), "lines-0-quantity": "1"}
    response = en(rep_a).post(reverse("finance:order-create", args=[customer_a.pk]), data)
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert not SalesOrder.objects.exists()


def test_rep_shipping_date_out_of_range_is_refused_with_the_reason(en, rep_a, customer_a):
    order = SalesOrder.objects.create(code="S-D", customer=customer_a, owner=rep_a, order_date=timezone.localdate(),
                                      status=SalesOrder.Status.CONFIRMED)
    response = en(rep_a).post(reverse("finance:order-ship", args=[order.pk]), {"shipped_on": "9999-12-31"}, follow=True)
    assert MESSAGE in response.content.decode()
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.CONFIRMED


def test_api_payment_date_out_of_range_is_refused(client, finance, customer_a):
    client.force_login(finance)
    response = client.post(reverse("api:payment-list"), {"customer": customer_a.pk, "amount": "1.00", "paid_on": "9999-12-31"},
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "paid_on" in response.json()["error"]["fields"]  # issue 14: one error shape
    assert not Payment.objects.exists()

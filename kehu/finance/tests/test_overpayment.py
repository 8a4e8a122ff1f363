"""Issue 10 item 7, first half: a payment above what is open on the instalment, contract or
receivable it names asks for confirmation (¥999,999 typed for ¥56,833.33 used to be accepted
without a word, ¥943,165.67 left on account)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.finance.models import Payment, Receivable
from kehu.finance.services import FinanceError, contract_plan_set, payment_record
from kehu.sales.models import Contract
from conftest import english_client

D = Decimal


@pytest.fixture
def contract(finance, customer_a):
    contract = Contract.objects.create(code="K000221", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("170500.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=[
        (1, date(2026, 2, 1), D("56833.33")), (2, date(2026, 3, 1), D("56833.33")), (3, date(2026, 4, 1), D("56833.34")),
    ])
    return contract


def test_finance_typing_more_than_the_instalments_open_amount_is_asked_to_confirm(client, finance, customer_a, contract):
    client = english_client(client, finance)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    data = {"amount": "999999.00", "paid_on": "2026-02-01", "instalment": f"{contract.pk}:1"}
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="over-open"' in body
    assert "¥999,999.00 is more than the ¥56,833.33 open on K000221 #1" in body
    assert "¥943,165.67 would stay on account" in body
    assert 'name="confirm_over_open"' in body
    assert not Payment.objects.exists()
    response = client.post(url, {**data, "confirm_over_open": "on"})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.on_account == D("943165.67")


def test_finance_paying_no_more_than_is_open_is_not_asked(client, finance, customer_a, contract):
    client = english_client(client, finance)
    response = client.post(reverse("finance:payment-create", args=[customer_a.pk]),
                           {"amount": "56833.33", "paid_on": "2026-02-01", "instalment": f"{contract.pk}:1"})
    assert response.status_code == 302 and Payment.objects.count() == 1


def test_service_asks_for_a_payment_above_the_contracts_open_amount(finance, customer_a, contract):
    with pytest.raises(FinanceError) as refused:
        payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("170500.01"), paid_on=date(2026, 2, 1))
    assert refused.value.details["open"] == D("170500.00")
    assert not Payment.objects.exists()
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("170500.01"), paid_on=date(2026, 2, 1),
                             allow_overpayment=True)
    assert payment.on_account == D("0.01")


def test_service_asks_for_a_payment_above_the_receivables_open_amount(finance, customer_a):
    receivable = Receivable.objects.create(customer=customer_a, amount=D("300.00"), open_amount=D("300.00"),
                                           issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1))
    with pytest.raises(FinanceError):
        payment_record(actor=finance, customer=customer_a, receivable=receivable, amount=D("300.01"), paid_on=date(2026, 2, 1))
    receivable.refresh_from_db()
    assert receivable.open_amount == D("300.00")


def test_a_payment_naming_nothing_stays_on_account_without_asking(finance, customer_a):
    payment = payment_record(actor=finance, customer=customer_a, amount=D("999999.00"), paid_on=date(2026, 2, 1))
    assert payment.on_account == D("999999.00")


def test_api_asks_for_allow_overpayment(client, finance, customer_a, contract):
    client.force_login(finance)
    data = {"customer": customer_a.pk, "contract": contract.pk, "seq": 1, "amount": "999999.00", "paid_on": "2026-02-01"}
    response = client.post(reverse("api:payment-list"), data, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "56,833.33" in response.json()["error"]["message"]  # issue 14: one error shape
    assert (response.json()["error"]["code"], response.json()["error"]["open_amount"]) == ("overpayment", "56833.33")
    assert not Payment.objects.exists()
    response = client.post(reverse("api:payment-list"), {**data, "allow_overpayment": True}, content_type="application/json")
    assert response.status_code == 201 and response.json()["on_account"] == "943165.67"

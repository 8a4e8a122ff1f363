"""Issue 10 item 4: every amount a user types is bounded so that every sum Kehu computes fits a
64-bit integer of cents (docs/rules.md, "Largest amount"). Ten payments at the largest allowed
amount used to overflow the payments list's sum (500)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.core.money import MONEY_MAX
from kehu.finance.models import Payment
from kehu.finance.services import FinanceError, payment_record
from conftest import english_client

D = Decimal
LARGEST = MONEY_MAX  # before the bound the form took 16 digits and 2 decimals: 9999999999999999.99


def test_finance_payments_list_with_ten_largest_payments_renders(client, finance, customer_a):
    client = english_client(client, finance)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    for n in range(10):
        response = client.post(url, {"amount": str(LARGEST), "paid_on": "2026-05-02", "code": f"PMAX{n}"})
        assert response.status_code == 302, response.content.decode()
    assert Payment.objects.count() == 10
    response = client.get(reverse("finance:payment-list"))
    assert response.status_code == 200
    assert "PMAX9" in response.content.decode()


def test_finance_amount_above_the_largest_is_refused_with_a_message(client, finance, customer_a):
    client = english_client(client, finance)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    response = client.post(url, {"amount": "10000000000.00", "paid_on": "2026-05-02"})
    assert response.status_code == 200
    assert "Enter an amount of at most 9,999,999,999.99." in response.content.decode()
    assert not Payment.objects.exists()


def test_service_refuses_an_amount_above_the_largest(finance, customer_a):
    with pytest.raises(FinanceError):
        payment_record(actor=finance, customer=customer_a, amount=D("10000000000.00"), paid_on=date(2026, 5, 2))
    payment_record(actor=finance, customer=customer_a, amount=D("9999999999.99"), paid_on=date(2026, 5, 2))


def test_api_and_importer_refuse_an_amount_above_the_largest(client, finance, customer_a):
    from kehu.dataset.values import CellError, parse_money

    with pytest.raises(CellError):
        parse_money("10000000000.00")
    assert parse_money("9999999999.99") == D("9999999999.99")
    client.force_login(finance)
    response = client.post(reverse("api:payment-list"), {"customer": customer_a.pk, "amount": "10000000000.00", "paid_on": "2026-05-02"},
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "amount" in response.json()["error"]["fields"]  # issue 14: one error shape
    assert not Payment.objects.exists()


def test_money_field_refuses_an_amount_above_the_largest_in_every_form():
    from kehu.core.fields import MoneyField

    field = MoneyField().formfield()
    assert field.clean("9999999999.99") == D("9999999999.99")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        field.clean("10000000000.00")

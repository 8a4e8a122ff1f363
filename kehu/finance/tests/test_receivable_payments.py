"""Payments that name a receivable: capped at its open amount, the rest on account (services.payment_record)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kehu.core.models import AuditEvent
from kehu.finance.models import Payment, PaymentAllocation, Receivable
from kehu.finance.services import FinanceError, payment_record
from kehu.sales.models import Contract

D = Decimal


def make_receivable(customer, amount="1000.00", due_on=date(2026, 3, 1), **extra):
    return Receivable.objects.create(customer=customer, amount=D(amount), open_amount=D(extra.pop("open_amount", amount)),
                                     issued_on=date(2026, 1, 1), due_on=due_on, **extra)


def test_finance_payment_naming_a_receivable_goes_to_it(finance, customer_a):
    r = make_receivable(customer_a)
    p = payment_record(actor=finance, customer=customer_a, receivable=r, amount=D("400.50"), paid_on=date(2026, 2, 1))
    r.refresh_from_db()
    assert r.open_amount == D("599.50")
    assert p.on_account == D("0.00") and p.receivable_id == r.pk
    assert [(a.receivable_id, a.instalment_id, a.amount) for a in p.allocations.all()] == [(r.pk, None, D("400.50"))]
    event = AuditEvent.objects.get(object_type="payment", object_id=p.pk)
    assert event.changes["applied"][1] == {f"receivable:{r.pk}": "400.50"}


def test_finance_payment_above_the_open_amount_is_capped_and_the_rest_stays_on_account(finance, customer_a):
    r = make_receivable(customer_a, amount="1000.00", open_amount="300.00")
    p = payment_record(actor=finance, customer=customer_a, receivable=r, amount=D("500.00"), paid_on=date(2026, 2, 1), allow_overpayment=True)
    r.refresh_from_db()
    assert r.open_amount == D("0.00")
    assert p.on_account == D("200.00")
    assert sum(a.amount for a in p.allocations.all()) == D("300.00")


def test_finance_payment_to_a_settled_receivable_is_all_on_account(finance, customer_a):
    r = make_receivable(customer_a, amount="100.00", open_amount="0.00")
    p = payment_record(actor=finance, customer=customer_a, receivable=r, amount=D("50.00"), paid_on=date(2026, 2, 1), allow_overpayment=True)
    assert p.on_account == D("50.00") and not p.allocations.exists()


def test_finance_receivable_of_another_customer_is_refused(finance, customer_a, customer_b):
    r = make_receivable(customer_b)
    with pytest.raises(FinanceError, match="not a receivable of this customer"):
        payment_record(actor=finance, customer=customer_a, receivable=r, amount=D("1.00"), paid_on=date(2026, 2, 1))
    r.refresh_from_db()
    assert r.open_amount == D("1000.00") and not Payment.objects.exists()


def test_finance_contract_and_receivable_together_are_refused(finance, customer_a):
    r = make_receivable(customer_a)
    contract = Contract.objects.create(code="K1", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("100.00"))
    with pytest.raises(FinanceError, match="either a contract or a receivable"):
        payment_record(actor=finance, customer=customer_a, receivable=r, contract=contract, amount=D("1.00"), paid_on=date(2026, 2, 1))
    assert not Payment.objects.exists() and not PaymentAllocation.objects.exists()


def test_rep_may_not_pay_a_receivable(rep_a, customer_a):
    r = make_receivable(customer_a)
    with pytest.raises(PermissionDenied):
        payment_record(actor=rep_a, customer=customer_a, receivable=r, amount=D("1.00"), paid_on=date(2026, 2, 1))
    r.refresh_from_db()
    assert r.open_amount == D("1000.00")


def test_finance_stale_receivable_object_never_overpays(finance, customer_a):
    """The caller's copy says 1000 open; the row says 10: the locked row decides."""
    r = make_receivable(customer_a)
    Receivable.objects.filter(pk=r.pk).update(open_amount=D("10.00"))
    p = payment_record(actor=finance, customer=customer_a, receivable=r, amount=D("600.00"), paid_on=date(2026, 2, 1), allow_overpayment=True)
    r.refresh_from_db()
    assert r.open_amount == D("0.00") and p.on_account == D("590.00")


def test_finance_failed_payment_leaves_the_receivable_untouched(finance, customer_a):
    r = make_receivable(customer_a)
    payment_record(actor=finance, customer=customer_a, receivable=r, amount=D("10.00"), paid_on=date(2026, 2, 1), code="DUP")
    with pytest.raises(FinanceError, match="exists already"):
        payment_record(actor=finance, customer=customer_a, receivable=r, amount=D("10.00"), paid_on=date(2026, 2, 1), code="DUP")
    r.refresh_from_db()
    assert r.open_amount == D("990.00") and Payment.objects.count() == 1

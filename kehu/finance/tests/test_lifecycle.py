from datetime import date
from decimal import Decimal

import pytest

from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.finance.lifecycle import customer_lifecycle_refresh, customer_signed_status
from kehu.finance.services import contract_plan_set, payment_record
from kehu.sales.models import Contract

D = Decimal


@pytest.fixture
def contract(customer_a, finance):
    c = Contract.objects.create(code="K1", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("300.00"))
    contract_plan_set(actor=finance, contract=c, instalments=[
        (1, date(2026, 2, 1), D("100.00")), (2, date(2026, 3, 1), D("100.00")), (3, date(2026, 4, 1), D("100.00")),
    ])
    return c


def _status(customer, day):
    return customer_signed_status(customer_ids=[customer.pk], as_of=day)[customer.pk]


def test_contract_without_first_payment_is_not_signed(customer_a, contract):
    s = _status(customer_a, date(2026, 6, 1))
    assert not s.is_signed and not s.is_qualified_signed
    customer_a.refresh_from_db()
    assert customer_a.stage != Customer.Stage.SIGNED


def test_partial_first_payment_is_not_signed(finance, customer_a, contract):
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("99.99"), paid_on=date(2026, 1, 20))
    assert not _status(customer_a, date(2026, 1, 31)).is_signed
    customer_a.refresh_from_db()
    assert customer_a.stage != Customer.Stage.SIGNED


def test_first_instalment_paid_in_full_signs_and_moves_the_stage(finance, customer_a, contract):
    customer_a.stage = Customer.Stage.QUALIFIED
    customer_a.save(update_fields=["stage"])
    payment_record(actor=finance, customer=customer_a, contract=contract, seq=1, amount=D("100"), paid_on=date(2026, 1, 20))
    s = _status(customer_a, date(2026, 1, 31))
    assert s.is_signed and s.is_qualified_signed
    customer_a.refresh_from_db()
    assert customer_a.stage == Customer.Stage.SIGNED and customer_a.stage_changed_at is not None
    assert AuditEvent.objects.filter(object_type="customer", object_id=customer_a.pk, changes__stage=["qualified", "signed"]).exists()
    # Before the payment date it was not signed yet.
    assert not _status(customer_a, date(2026, 1, 19)).is_signed


def test_late_instalment_is_signed_but_not_qualified(finance, customer_a, contract):
    payment_record(actor=finance, customer=customer_a, contract=contract, seq=1, amount=D("100"), paid_on=date(2026, 1, 20))
    payment_record(actor=finance, customer=customer_a, contract=contract, seq=2, amount=D("100"), paid_on=date(2026, 3, 5))
    assert _status(customer_a, date(2026, 2, 28)).is_qualified_signed  # seq 2 not due yet
    s = _status(customer_a, date(2026, 3, 10))
    assert s.is_signed and not s.is_qualified_signed


def test_unpaid_due_instalment_is_not_qualified(finance, customer_a, contract):
    payment_record(actor=finance, customer=customer_a, contract=contract, seq=1, amount=D("100"), paid_on=date(2026, 1, 20))
    s = _status(customer_a, date(2026, 3, 2))
    assert s.is_signed and not s.is_qualified_signed


def test_vip_stays_vip(finance, customer_a, contract):
    customer_a.stage = Customer.Stage.VIP
    customer_a.save(update_fields=["stage"])
    payment_record(actor=finance, customer=customer_a, contract=contract, seq=1, amount=D("100"), paid_on=date(2026, 1, 20))
    customer_lifecycle_refresh(customer_ids=[customer_a.pk])
    customer_a.refresh_from_db()
    assert customer_a.stage == Customer.Stage.VIP

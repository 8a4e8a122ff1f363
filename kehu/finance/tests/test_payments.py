from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from kehu.core.models import AuditEvent
from kehu.finance.models import Instalment, Payment, PaymentAllocation
from kehu.finance.services import FinanceError, contract_plan_set, contracts_reapply, payment_record
from kehu.sales.models import Contract

D = Decimal


@pytest.fixture
def contract(customer_a):
    return Contract.objects.create(code="K1", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("300.00"))


@pytest.fixture
def plan(contract, finance):
    return contract_plan_set(actor=finance, contract=contract, instalments=[
        (1, date(2026, 2, 1), D("100.00")), (2, date(2026, 3, 1), D("100.00")), (3, date(2026, 4, 1), D("100.00")),
    ])


def _applied(contract):
    return [i.applied for i in Instalment.objects.filter(contract=contract).order_by("seq")]


def test_finance_payment_naming_an_instalment_goes_to_it(finance, customer_a, contract, plan):
    p = payment_record(actor=finance, customer=customer_a, contract=contract, seq=2, amount=D("60"), paid_on=date(2026, 2, 10))
    assert _applied(contract) == [D("0.00"), D("60.00"), D("0.00")]
    assert p.on_account == D("0.00")
    assert AuditEvent.objects.filter(object_type="payment", object_id=p.pk).exists()


def test_finance_payment_naming_an_instalment_keeps_the_excess_on_account(finance, customer_a, contract, plan):
    p = payment_record(actor=finance, customer=customer_a, contract=contract, seq=1, amount=D("150"), paid_on=date(2026, 2, 1), allow_overpayment=True)
    assert _applied(contract) == [D("100.00"), D("0.00"), D("0.00")]
    assert p.on_account == D("50.00")
    assert Instalment.objects.get(contract=contract, seq=1).paid_in_full_on == date(2026, 2, 1)


def test_finance_contract_payment_fills_oldest_open_first(finance, customer_a, contract, plan):
    payment_record(actor=finance, customer=customer_a, contract=contract, seq=1, amount=D("30"), paid_on=date(2026, 1, 5))
    p = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("400"), paid_on=date(2026, 1, 20), allow_overpayment=True)
    assert _applied(contract) == [D("100.00")] * 3
    assert p.on_account == D("130.00")
    assert sorted(a.amount for a in p.allocations.all()) == [D("70.00"), D("100.00"), D("100.00")]


def test_finance_payment_without_contract_stays_on_account(finance, customer_a, plan):
    p = payment_record(actor=finance, customer=customer_a, amount=D("12.34"), paid_on=date(2026, 1, 5))
    assert p.on_account == D("12.34") and not p.allocations.exists()


def test_manager_may_record_and_rep_may_not(manager_a, rep_a, customer_a, contract, plan):
    payment_record(actor=manager_a, customer=customer_a, contract=contract, amount=D("1"), paid_on=date(2026, 1, 5))
    with pytest.raises(PermissionDenied):
        payment_record(actor=rep_a, customer=customer_a, contract=contract, amount=D("1"), paid_on=date(2026, 1, 5))


def test_finance_bad_payments_are_refused(finance, customer_a, customer_b, contract, plan):
    with translation.override("en"):
        for kwargs, text in [
            ({"amount": D("0")}, "positive"),
            ({"amount": D("1.001")}, "positive"),
            ({"amount": D("1"), "seq": 9}, "no instalment 9"),
            ({"amount": D("1"), "customer": customer_b}, "not a contract of this customer"),
        ]:
            args = {"actor": finance, "customer": customer_a, "contract": contract, "paid_on": date(2026, 1, 5), **kwargs}
            with pytest.raises(FinanceError, match=text):
                payment_record(**args)
    assert not Payment.objects.exists()


def test_finance_plan_must_add_up_to_the_contract_amount(finance, contract):
    with translation.override("en"), pytest.raises(FinanceError, match="add up to ¥200.00, but the contract amount is ¥300.00"):
        contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), D("100")), (2, date(2026, 3, 1), D("100"))])


def test_reapply_is_idempotent_and_in_date_order(finance, customer_a, contract, plan):
    # Recorded out of date order: the later-dated one first.
    late = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("150"), paid_on=date(2026, 3, 1))
    early = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("100"), paid_on=date(2026, 1, 1))
    contracts_reapply(contract_ids=[contract.pk])
    contracts_reapply(contract_ids=[contract.pk])
    first = Instalment.objects.get(contract=contract, seq=1)
    assert first.paid_in_full_on == date(2026, 1, 1)
    assert _applied(contract) == [D("100.00"), D("100.00"), D("50.00")]
    assert [a.instalment.seq for a in early.allocations.all()] == [1]
    assert sum(a.amount for a in PaymentAllocation.objects.all()) == D("250.00")
    late.refresh_from_db()
    assert late.on_account == D("0.00")


def test_merge_moves_payments_and_quality_losses_to_the_kept_customer(admin, finance, customer_a, customer_a2):
    from kehu.customers.services.merge import customer_merge
    from kehu.finance.models import QualityLoss

    p = payment_record(actor=finance, customer=customer_a2, amount=D("5"), paid_on=date(2026, 1, 5))
    QualityLoss.objects.create(customer=customer_a2, occurred_on=date(2026, 1, 1), amount=D("1"))
    customer_merge(actor=admin, kept=customer_a, merged=customer_a2)
    p.refresh_from_db()
    assert p.customer_id == customer_a.pk
    assert QualityLoss.objects.get().customer_id == customer_a.pk

"""Issue 10 item 7, second half: finance reverses a payment (红冲) with a reason. The payment stays,
marked reversed (who, when, why; audited); the money comes off what it paid, the customer's other
unapplied money is applied again, signed / qualified signed and commission follow."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers.models import Customer
from kehu.finance.commission import commission_report
from kehu.finance.lifecycle import customer_signed_status
from kehu.finance.models import Instalment, Payment, PaymentAllocation, Receivable
from kehu.finance.services import FinanceError, contract_plan_set, payment_record, payment_reverse
from kehu.sales.models import Contract
from conftest import english_client

D = Decimal
MAY = (date(2026, 5, 1), date(2026, 5, 31))


@pytest.fixture
def contract(finance, customer_a):
    contract = Contract.objects.create(code="K000221", customer=customer_a, owner=customer_a.owner, signed_on=date(2026, 1, 1),
                                       amount=D("300.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=[
        (1, date(2026, 6, 1), D("100.00")), (2, date(2026, 7, 1), D("100.00")), (3, date(2026, 8, 1), D("100.00")),
    ])
    return contract


def _applied(contract):
    return [i.applied for i in Instalment.objects.filter(contract=contract).order_by("seq")]


# --- the service ------------------------------------------------------------------------------

def test_finance_reversal_restores_the_open_amounts_and_records_who_when_why(finance, customer_a, contract):
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("150.00"), paid_on=date(2026, 5, 2))
    assert _applied(contract) == [D("100.00"), D("50.00"), D("0.00")]
    reversed_ = payment_reverse(actor=finance, payment=payment, reason="金额录错（应为 15,000.00）")
    assert _applied(contract) == [D("0.00")] * 3
    assert not Instalment.objects.filter(contract=contract, paid_in_full_on__isnull=False).exists()
    assert reversed_.is_reversed and reversed_.reversed_by == finance and reversed_.reversed_at is not None
    assert reversed_.reversal_reason == "金额录错（应为 15,000.00）"
    assert reversed_.on_account == D("0.00") and not PaymentAllocation.objects.filter(payment=payment).exists()
    assert Payment.objects.get(pk=payment.pk).amount == D("150.00")  # the record stays: 红冲, not deleted
    event = AuditEvent.objects.filter(object_type="payment", object_id=payment.pk).order_by("-pk").first()
    assert event.note == "金额录错（应为 15,000.00）" and event.changes["reversed"] == [False, True]


def test_reversal_applies_the_customers_unapplied_money_again(finance, customer_a, contract):
    first = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("150.00"), paid_on=date(2026, 5, 2))
    later = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("300.00"), paid_on=date(2026, 5, 9),
                           allow_overpayment=True)
    assert _applied(contract) == [D("100.00")] * 3 and later.on_account == D("150.00")
    payment_reverse(actor=finance, payment=first, reason="重复录入")
    later.refresh_from_db()
    assert _applied(contract) == [D("100.00")] * 3 and later.on_account == D("0.00")
    assert set(Instalment.objects.filter(contract=contract).values_list("paid_in_full_on", flat=True)) == {date(2026, 5, 9)}
    assert sum(a.amount for a in later.allocations.all()) == D("300.00")


def test_reversal_of_a_receivable_payment_gives_the_open_amount_back_and_reapplies(finance, customer_a):
    receivable = Receivable.objects.create(customer=customer_a, amount=D("500.00"), open_amount=D("500.00"),
                                           issued_on=date(2026, 1, 1), due_on=date(2026, 6, 1))
    first = payment_record(actor=finance, customer=customer_a, receivable=receivable, amount=D("300.00"), paid_on=date(2026, 5, 2))
    later = payment_record(actor=finance, customer=customer_a, receivable=receivable, amount=D("400.00"), paid_on=date(2026, 5, 3),
                           allow_overpayment=True)
    receivable.refresh_from_db()
    assert receivable.open_amount == D("0.00") and later.on_account == D("200.00")
    payment_reverse(actor=finance, payment=first, reason="退票")
    receivable.refresh_from_db()
    later.refresh_from_db()
    assert receivable.open_amount == D("100.00") and later.on_account == D("0.00")
    assert sum(a.amount for a in later.allocations.all()) == D("400.00")


def test_reversing_the_only_payment_unsigns_the_customer(finance, customer_a, contract):
    Customer.objects.filter(pk=customer_a.pk).update(stage=Customer.Stage.PROSPECT)
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("100.00"), paid_on=date(2026, 5, 2))
    customer_a.refresh_from_db()
    assert customer_a.stage == Customer.Stage.SIGNED
    assert customer_signed_status(customer_ids=[customer_a.pk], as_of=date(2026, 5, 31))[customer_a.pk].is_signed
    payment_reverse(actor=finance, payment=payment, reason="未到账")
    customer_a.refresh_from_db()
    status = customer_signed_status(customer_ids=[customer_a.pk], as_of=date(2026, 5, 31))[customer_a.pk]
    assert not status.is_signed and not status.is_qualified_signed
    assert customer_a.stage == Customer.Stage.PROSPECT  # back where the payment found it


def test_reversal_keeps_a_stage_the_facts_did_not_give(finance, customer_a, contract):
    """A customer imported as signed without a paid first instalment stays signed."""
    Customer.objects.filter(pk=customer_a.pk).update(stage=Customer.Stage.SIGNED)
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, seq=2, amount=D("10.00"), paid_on=date(2026, 5, 2))
    payment_reverse(actor=finance, payment=payment, reason="x")
    customer_a.refresh_from_db()
    assert customer_a.stage == Customer.Stage.SIGNED


def test_reversal_drops_the_commission(finance, customer_a, contract):
    settings = CompanySettings.load()
    settings.default_commission_rate_pct = D("3.00")
    settings.save()
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("150.00"), paid_on=date(2026, 5, 2))
    per_rep, _lines = commission_report(user=finance, date_from=MAY[0], date_to=MAY[1])
    assert [t.commission for t in per_rep] == [D("4.50")]
    payment_reverse(actor=finance, payment=payment, reason="x")
    assert commission_report(user=finance, date_from=MAY[0], date_to=MAY[1]) == ([], [])


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "director"])
def test_only_finance_and_admins_reverse(request, finance, admin, customer_a, contract, who):
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("10.00"), paid_on=date(2026, 5, 2))
    with pytest.raises(PermissionDenied):
        payment_reverse(actor=request.getfixturevalue(who), payment=payment, reason="x")
    payment_reverse(actor=admin, payment=payment, reason="x")


def test_a_reversal_needs_a_reason_and_happens_once(finance, customer_a, contract):
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("10.00"), paid_on=date(2026, 5, 2))
    with pytest.raises(FinanceError):
        payment_reverse(actor=finance, payment=payment, reason="  ")
    payment_reverse(actor=finance, payment=payment, reason="x")
    with pytest.raises(FinanceError):
        payment_reverse(actor=finance, payment=Payment.objects.get(pk=payment.pk), reason="again")


def test_reversed_payments_leave_the_totals_and_are_not_applied_again(finance, customer_a, contract):
    from kehu.finance.selectors import payment_list, payment_totals
    from kehu.finance.services import contracts_reapply

    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("150.00"), paid_on=date(2026, 5, 2))
    payment_record(actor=finance, customer=customer_a, amount=D("7.00"), paid_on=date(2026, 5, 2))
    payment_reverse(actor=finance, payment=payment, reason="x")
    assert [(t["total"], t["on_account"]) for t in payment_totals(payment_list(user=finance))] == [(D("7.00"), D("7.00"))]
    contracts_reapply(contract_ids=[contract.pk])  # a plan change or an import
    assert _applied(contract) == [D("0.00")] * 3


# --- pages --------------------------------------------------------------------------------------

def test_finance_reverses_on_a_confirmation_page_that_says_what_happens(client, finance, customer_a, contract):
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("150.00"), paid_on=date(2026, 5, 2),
                             code="PM-R1")
    client = english_client(client, finance)
    detail = client.get(reverse("finance:payment-detail", args=[payment.pk])).content.decode()
    assert "Contract K000221, instalment 1" in detail and reverse("finance:payment-reverse", args=[payment.pk]) in detail
    url = reverse("finance:payment-reverse", args=[payment.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="reverse-confirm"' in page and "Contract K000221, instalment 2" in page and "¥100.00" in page and "¥50.00" in page
    assert 'name="reason"' in page
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and not Payment.objects.get(pk=payment.pk).is_reversed
    response = client.post(url, {"reason": "金额录错"}, follow=True)
    body = response.content.decode()
    assert "Payment PM-R1 reversed." in body and 'data-testid="reversed"' in body and "金额录错" in body
    assert _applied(contract) == [D("0.00")] * 3
    listing = client.get(reverse("finance:payment-list")).content.decode()
    assert 'data-testid="reversed-PM-R1"' in listing


def test_rep_a_is_refused_with_a_message_and_rep_b_gets_404(client, finance, rep_a, rep_b, customer_a, contract):
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("10.00"), paid_on=date(2026, 5, 2))
    url = reverse("finance:payment-reverse", args=[payment.pk])
    client = english_client(client, rep_a)
    assert client.get(reverse("finance:payment-detail", args=[payment.pk])).status_code == 200
    response = client.post(url, {"reason": "x"}, follow=True)
    assert "Only finance and administrators reverse payments." in response.content.decode()
    assert not Payment.objects.get(pk=payment.pk).is_reversed
    client = english_client(client, rep_b)
    assert client.get(url).status_code == 404 and client.post(url, {"reason": "x"}).status_code == 404
    assert client.get(reverse("finance:payment-detail", args=[payment.pk])).status_code == 404


# --- API ----------------------------------------------------------------------------------------

def test_api_reverses_for_finance_403_for_rep_a_404_for_rep_b(client, finance, rep_a, rep_b, customer_a, contract):
    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("10.00"), paid_on=date(2026, 5, 2))
    url = reverse("api:payment-reverse", args=[payment.pk])
    client.force_login(rep_b)
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    client.force_login(rep_a)
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 403
    client.force_login(finance)
    assert client.post(url, {"reason": ""}, content_type="application/json").status_code == 400
    response = client.post(url, {"reason": "录错"}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_reversed"] is True and body["reversal_reason"] == "录错" and body["allocations"] == []
    assert client.post(url, {"reason": "again"}, content_type="application/json").status_code == 400
    assert client.get(reverse("api:payment-detail", args=[payment.pk])).json()["is_reversed"] is True


# --- what else reads payments ---------------------------------------------------------------------

def test_a_reversed_payment_is_not_exported_and_an_import_does_not_bring_it_back(tmp_path, admin, finance, customer_a, contract):
    from kehu.dataset.selectors import export_payments
    from kehu.dataset.services import dataset_import
    from kehu.dataset.tests.conftest import write_dataset

    kept = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("10.00"), paid_on=date(2026, 5, 2), code="PM-K")
    gone = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("90.00"), paid_on=date(2026, 5, 1), code="PM-G")
    payment_reverse(actor=finance, payment=gone, reason="录错")
    assert [row[0] for row in export_payments(user=None)] == [kept.code]
    header = ["code", "customer", "contract", "seq", "paid_date", "amount"]
    folder = write_dataset(tmp_path / "ds", {"payments.csv": [header, ["PM-G", customer_a.code, contract.code, "", "2026-05-01", "90.00"]]})
    report = dataset_import(actor=admin, path=folder)
    assert not report.errors
    gone.refresh_from_db()
    assert gone.is_reversed and gone.on_account == D("0.00") and not gone.allocations.exists()
    assert _applied(contract) == [D("10.00"), D("0.00"), D("0.00")]


def test_a_reversed_payment_is_not_collected_in_a_ranking_run(finance, customer_a, contract):
    from kehu.ranking.facts import load_facts

    payment = payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("100.00"), paid_on=date(2026, 5, 2))
    payment_reverse(actor=finance, payment=payment, reason="录错")
    due = load_facts(date(2026, 8, 31)).customers[customer_a.pk].due  # [(amount, collected, on time, days late)]
    assert due and all(collected == 0 for _amount, collected, _on_time, _late in due)


def test_the_timeline_says_a_payment_was_reversed_and_why(finance, rep_a, customer_a):
    from kehu.finance.wiring import payment_entries

    payment = payment_record(actor=finance, customer=customer_a, amount=D("12.00"), paid_on=date(2026, 5, 1), code="PT1")
    payment_reverse(actor=finance, payment=payment, reason="银行退票")
    from django.utils import translation

    with translation.override("en"):
        (entry,) = payment_entries(customer=customer_a, user=rep_a, limit=5)
    assert "reversed: 银行退票" in entry.text and "on account" not in entry.text

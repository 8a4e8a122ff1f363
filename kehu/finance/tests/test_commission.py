"""Commission on collected money (finance/commission.py): rate of the customer's policy,
half-up per line, attribution to the contract's / order's / customer's owner, scope by role."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.core.models import CompanySettings
from kehu.finance.commission import commission_amount, commission_report
from kehu.finance.models import Receivable
from kehu.finance.services import contract_plan_set, payment_record
from kehu.sales import policy
from kehu.sales.models import Contract, SalesOrder
from conftest import english_client

D = Decimal
MAY = (date(2026, 5, 1), date(2026, 5, 31))


@pytest.fixture
def rate_3():
    settings = CompanySettings.load()
    settings.default_commission_rate_pct = D("3.00")
    settings.save()


def contract_of(customer, owner, amount="1000.00", code="K1", finance=None):
    contract = Contract.objects.create(code=code, customer=customer, owner=owner, signed_on=date(2026, 1, 1), amount=D(amount))
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), D(amount))])
    return contract


@pytest.mark.parametrize("collected, rate, expected", [
    (D("0.50"), D("3.00"), D("0.02")),  # 0.015 → 0.02 (half-up, not banker's)
    (D("0.49"), D("3.00"), D("0.01")),  # 0.0147
    (D("12345.67"), D("2.50"), D("308.64")),  # 308.64175
    (D("100.00"), D("0.00"), D("0.00")),
])
def test_commission_rounds_half_up_to_the_cent(collected, rate, expected):
    assert commission_amount(collected, rate) == expected


def test_finance_commission_is_rounded_per_line_and_summed_exactly(finance, rep_a, customer_a, rate_3):
    contract = contract_of(customer_a, rep_a, finance=finance)
    for n in range(3):  # 3 × round(0.50 × 3%) = 3 × 0.02 = 0.06 (not round(1.50 × 3%) = 0.05)
        payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("0.50"), paid_on=date(2026, 5, 10 + n))
    per_rep, lines = commission_report(user=finance, date_from=MAY[0], date_to=MAY[1])
    assert [line.commission for line in lines] == [D("0.02")] * 3
    assert [(t.rep_id, t.collected, t.commission) for t in per_rep] == [(rep_a.pk, D("1.50"), D("0.06"))]


def test_finance_only_payments_dated_in_the_period_count(finance, rep_a, customer_a, rate_3):
    contract = contract_of(customer_a, rep_a, finance=finance)
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("100.00"), paid_on=date(2026, 4, 30))
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("200.00"), paid_on=date(2026, 5, 1))
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("300.00"), paid_on=date(2026, 5, 31))
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("50.00"), paid_on=date(2026, 6, 1))
    per_rep, _lines = commission_report(user=finance, date_from=MAY[0], date_to=MAY[1])
    assert [(t.collected, t.commission) for t in per_rep] == [(D("500.00"), D("15.00"))]


def test_finance_on_account_money_earns_nothing(finance, rep_a, customer_a, rate_3):
    contract = contract_of(customer_a, rep_a, amount="100.00", finance=finance)
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("250.00"), paid_on=date(2026, 5, 2), allow_overpayment=True)  # 150 on account
    payment_record(actor=finance, customer=customer_a, amount=D("999.00"), paid_on=date(2026, 5, 3))  # all on account
    per_rep, lines = commission_report(user=finance, date_from=MAY[0], date_to=MAY[1])
    assert [(l.collected, l.commission) for l in lines] == [(D("100.00"), D("3.00"))]


def test_finance_rep_is_the_contract_owner_then_the_order_owner_then_the_customer_owner(finance, rep_a, rep_a2, manager_a, customer_a, rate_3):
    contract = contract_of(customer_a, rep_a2, finance=finance)  # customer_a is rep_a's, the contract rep_a2's
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("100.00"), paid_on=date(2026, 5, 2))
    order = SalesOrder.objects.create(code="S1", customer=customer_a, owner=manager_a, order_date=date(2026, 1, 2))
    by_order = Receivable.objects.create(customer=customer_a, order=order, amount=D("200.00"), open_amount=D("200.00"),
                                         issued_on=date(2026, 1, 2), due_on=date(2026, 2, 2))
    payment_record(actor=finance, customer=customer_a, receivable=by_order, amount=D("200.00"), paid_on=date(2026, 5, 3))
    bare = Receivable.objects.create(customer=customer_a, amount=D("400.00"), open_amount=D("400.00"),
                                     issued_on=date(2026, 1, 2), due_on=date(2026, 2, 2))
    payment_record(actor=finance, customer=customer_a, receivable=bare, amount=D("400.00"), paid_on=date(2026, 5, 4))
    ownerless = contract_of(customer_a, None, code="K2", finance=finance)
    payment_record(actor=finance, customer=customer_a, contract=ownerless, amount=D("800.00"), paid_on=date(2026, 5, 5))
    per_rep, _lines = commission_report(user=finance, date_from=MAY[0], date_to=MAY[1])
    got = {t.rep_id: t.collected for t in per_rep}
    assert got == {rep_a2.pk: D("100.00"), manager_a.pk: D("200.00"), rep_a.pk: D("1200.00")}


def test_finance_rate_is_the_customers_policy(finance, rep_a, rep_b, customer_a, customer_b, rate_3, monkeypatch):
    tier = policy.Policy(max_discount_pct=D("5"), payment_term_days=30, commission_rate_pct=D("4.50"), tier="A")
    monkeypatch.setattr(policy, "POLICY_PROVIDERS", [lambda ids: {i: tier for i in ids if i == customer_a.pk}])
    for customer, owner, code in ((customer_a, rep_a, "K1"), (customer_b, rep_b, "K2")):
        contract = contract_of(customer, owner, code=code, finance=finance)
        payment_record(actor=finance, customer=customer, contract=contract, amount=D("100.00"), paid_on=date(2026, 5, 2))
    per_rep, _lines = commission_report(user=finance, date_from=MAY[0], date_to=MAY[1])
    assert {t.rep_id: t.commission for t in per_rep} == {rep_a.pk: D("4.50"), rep_b.pk: D("3.00")}


@pytest.fixture
def paid_everywhere(cast, rate_3):
    finance = cast["finance"]
    for n, key in enumerate(("customer_a", "customer_a2", "customer_b")):
        customer = cast[key]
        contract = contract_of(customer, customer.owner, code=f"K{n}", finance=finance)
        payment_record(actor=finance, customer=customer, contract=contract, amount=D("100.00"), paid_on=date(2026, 5, 2), code=f"PAY-{key}")


@pytest.mark.parametrize("who, reps", [
    ("rep_a", {"rep_a"}), ("rep_b", {"rep_b"}), ("manager_a", {"rep_a", "rep_a2"}), ("director", {"rep_a", "rep_a2", "rep_b"}),
    ("finance", {"rep_a", "rep_a2", "rep_b"}), ("admin", {"rep_a", "rep_a2", "rep_b"}),
])
def test_commission_is_scoped_by_role(cast, paid_everywhere, who, reps):
    per_rep, lines = commission_report(user=cast[who], date_from=MAY[0], date_to=MAY[1])
    assert {t.rep_id for t in per_rep} == {cast[r].pk for r in reps}
    assert {l.rep_id for l in lines} == {cast[r].pk for r in reps}


def test_rep_a_commission_page_shows_own_lines_only(client, cast, paid_everywhere):
    body = english_client(client, cast["rep_a"]).get(reverse("finance:commission"), {"month": "2026-05"}).content.decode()
    assert "PAY-customer_a" in body and "PAY-customer_a2" not in body and "PAY-customer_b" not in body
    assert 'data-testid="commission-total-CNY">¥3.00' in body


def test_finance_commission_page_from_to_and_query_count(client, cast, paid_everywhere, django_assert_max_num_queries):
    client = english_client(client, cast["finance"])
    with django_assert_max_num_queries(8):  # + the tier policies of the rate in SQL (issue 13)
        body = client.get(reverse("finance:commission"), {"date_from": "2026-05-01", "date_to": "2026-05-02"}).content.decode()
    assert 'data-testid="commission-total-CNY">¥9.00' in body
    for n in range(20):
        payment_record(actor=cast["finance"], customer=cast["customer_b"], amount=D("1.00"), paid_on=date(2026, 5, 2),
                       contract=Contract.objects.get(code="K2"))
    with django_assert_max_num_queries(8):  # + the tier policies of the rate in SQL (issue 13)
        assert client.get(reverse("finance:commission"), {"month": "2026-05"}).status_code == 200
    assert "No commission in this period." in client.get(reverse("finance:commission"), {"month": "2025-01"}).content.decode()


def test_a_rep_keeps_the_commission_credited_to_them_after_a_handover(client, finance, admin, rep_a, rep_a2, customer_a, rate_3):
    """Scope is the credited rep, not who sees the customer today; the hidden customer is named without a link."""
    from kehu.customers.services import customer_handover

    contract = contract_of(customer_a, rep_a, amount="100.00", finance=finance)
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("100.00"), paid_on=date(2026, 5, 2), code="PAY-H")
    customer_handover(actor=admin, from_user=rep_a, to_user=rep_a2)
    per_rep, lines = commission_report(user=rep_a, date_from=MAY[0], date_to=MAY[1])
    assert [(t.rep_id, t.commission) for t in per_rep] == [(rep_a.pk, D("3.00"))]
    assert [(line.payment_code, line.customer_visible) for line in lines] == [("PAY-H", False)]
    assert commission_report(user=rep_a2, date_from=MAY[0], date_to=MAY[1]) == ([], [])  # credited to rep_a, not to the new owner
    body = english_client(client, rep_a).get(reverse("finance:commission"), {"month": "2026-05"}).content.decode()
    assert "PAY-H" in body and f'<span data-testid="customer-no-link">{customer_a.name}</span>' in body
    assert reverse("customers:detail", args=[customer_a.pk]) not in body


@pytest.mark.parametrize("query", [{"month": "9999-12"}, {"month": "0001-01"}, {"date_from": "0001-01-01", "date_to": "9999-12-31"}])
def test_commission_page_refuses_dates_outside_2000_2099(client, finance, query):
    response = english_client(client, finance).get(reverse("finance:commission"), query)
    assert response.status_code == 200
    assert "Enter a date between 2000-01-01 and 2099-12-31." in response.content.decode()

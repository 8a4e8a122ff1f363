"""The payment pages, the payments list and the customer page's finance panel."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.finance.models import Payment, Receivable
from kehu.finance.services import contract_plan_set, payment_record
from kehu.sales.models import Contract
from conftest import english_client

D = Decimal


def make_receivable(customer, amount="1000.00", days_overdue=10, currency="CNY"):
    today = timezone.localdate()
    return Receivable.objects.create(customer=customer, amount=D(amount), open_amount=D(amount), currency=currency,
                                     issued_on=today - timedelta(days=100), due_on=today - timedelta(days=days_overdue))


# --- record a payment ---------------------------------------------------------------------------

def test_finance_records_a_payment_to_a_receivable_and_sees_how_it_was_applied(client, finance, customer_a):
    r = make_receivable(customer_a, "300.00")
    client = english_client(client, finance)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    assert f'value="{r.pk}" selected' in client.get(url, {"receivable": r.pk}).content.decode()
    response = client.post(url, {"amount": "500.00", "paid_on": "2026-05-02", "receivable": r.pk, "code": "PX1", "confirm_over_open": "on"},
                           follow=True)
    body = response.content.decode()
    assert "Payment PX1 recorded." in body and 'data-testid="payment-applied"' in body
    assert 'data-testid="on-account">¥200.00' in body
    r.refresh_from_db()
    assert r.open_amount == D("0.00") and Payment.objects.get(code="PX1").on_account == D("200.00")


def test_manager_records_a_payment_on_a_contract_instalment(client, manager_a, finance, customer_a):
    contract = Contract.objects.create(code="K1", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("200.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), D("100.00")), (2, date(2026, 3, 1), D("100.00"))])
    client = english_client(client, manager_a)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    html = client.get(url).content.decode()
    assert f'<option value="{contract.pk}:2">K1 #2 · due 2026-03-01 · open ¥100.00</option>' in html  # one select of open instalments
    response = client.post(url, {"amount": "60.00", "paid_on": "2026-05-02", "instalment": f"{contract.pk}:2"})
    assert response.status_code == 302
    assert [i.applied for i in contract.instalments.order_by("seq")] == [D("0.00"), D("60.00")]
    payment = Payment.objects.get()
    assert (payment.contract_id, payment.seq) == (contract.pk, 2)
    other = Contract.objects.create(code="K2", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("50.00"))
    body = client.post(url, {"amount": "1.00", "paid_on": "2026-05-02", "contract": other.pk, "instalment": f"{contract.pk}:1"}).content.decode()
    assert "This instalment is not one of the chosen contract." in body and Payment.objects.count() == 1


def test_finance_form_lists_only_this_customers_contracts_and_refuses_others(client, finance, customer_a, customer_b):
    # a code no random token (CSRF, CSP nonce) in the page can contain
    other = Contract.objects.create(code="合同乙-7", customer=customer_b, signed_on=date(2026, 1, 1), amount=D("100.00"))
    other_r = make_receivable(customer_b)
    client = english_client(client, finance)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    assert "合同乙-7" not in client.get(url).content.decode()
    for data in ({"contract": other.pk}, {"receivable": other_r.pk}):
        response = client.post(url, {"amount": "1.00", "paid_on": "2026-05-02", **data})
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Payment.objects.exists()


def test_finance_bad_input_is_a_form_error(client, finance, customer_a):
    client = english_client(client, finance)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    assert client.post(url, {"amount": "-5", "paid_on": "2026-05-02"}).status_code == 200
    body = client.post(url, {"amount": "5", "paid_on": "2026-05-02", "instalment": "999:1"}).content.decode()
    assert "Select a valid choice" in body
    assert not Payment.objects.exists()


def test_a_payment_on_account_is_in_the_customers_currency(finance, customer_a):
    customer_a.currency = "USD"
    customer_a.save(update_fields=["currency"])
    assert payment_record(actor=finance, customer=customer_a, amount=D("10.00"), paid_on=date(2026, 5, 2)).currency == "USD"


def test_payment_and_plan_change_lock_the_contract_row_before_its_instalments(finance, customer_a, monkeypatch):
    from django.db.models import QuerySet

    from kehu.finance.models import Instalment

    contract = Contract.objects.create(code="K1", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("200.00"))
    locked = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), D("200.00"))])
    assert locked[:2] == [Contract, Instalment]
    locked.clear()
    payment_record(actor=finance, customer=customer_a, amount=D("10.00"), paid_on=date(2026, 5, 2), contract=contract, code="PL1")
    assert locked[:2] == [Contract, Instalment]


def test_rep_may_not_record_payments_and_gets_a_message(client, rep_a, customer_a):
    client = english_client(client, rep_a)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    response = client.post(url, {"amount": "5.00", "paid_on": "2026-05-02"}, follow=True)
    assert "Only finance, administrators and the managers" in response.content.decode()
    assert not Payment.objects.exists()


def test_rep_b_gets_404_for_rep_a_customer(client, rep_b, customer_a):
    client = english_client(client, rep_b)
    url = reverse("finance:payment-create", args=[customer_a.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"amount": "5.00", "paid_on": "2026-05-02"}).status_code == 404
    assert not Payment.objects.exists()


# --- payments list ------------------------------------------------------------------------------

@pytest.fixture
def payments(cast):
    finance = cast["finance"]
    payment_record(actor=finance, customer=cast["customer_a"], amount=D("10.10"), paid_on=date(2026, 5, 1), code="PA1")
    payment_record(actor=finance, customer=cast["customer_a"], amount=D("20.20"), paid_on=date(2026, 5, 20), code="PA2")
    payment_record(actor=finance, customer=cast["customer_b"], amount=D("40.00"), paid_on=date(2026, 5, 5), code="PB1")
    usd = make_receivable(cast["customer_b"], "5.00", currency="USD")
    payment_record(actor=finance, customer=cast["customer_b"], receivable=usd, amount=D("5.00"), paid_on=date(2026, 5, 6), code="PB2")


def test_rep_a_sees_own_payments_only(client, cast, payments):
    body = english_client(client, cast["rep_a"]).get(reverse("finance:payment-list")).content.decode()
    assert "PA1" in body and "PA2" in body and "PB1" not in body and cast["customer_b"].name not in body
    assert "¥30.30" in body


def test_finance_filters_by_date_and_customer_with_totals_per_currency(client, cast, payments):
    client = english_client(client, cast["finance"])
    body = client.get(reverse("finance:payment-list")).content.decode()
    assert "¥70.30" in body and "$5.00" in body
    body = client.get(reverse("finance:payment-list"), {"date_from": "2026-05-02", "date_to": "2026-05-10"}).content.decode()
    assert "PB1" in body and "PA1" not in body and "PA2" not in body
    body = client.get(reverse("finance:payment-list"), {"q": cast["customer_a"].code}).content.decode()
    assert "PA1" in body and "PB1" not in body


def test_finance_payment_list_query_count_does_not_grow(client, cast, payments, django_assert_max_num_queries):
    client = english_client(client, cast["finance"])
    # 7: the page's payment ids, then those payments with their joins (issue 13: no sort of every joined row)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("finance:payment-list")).status_code == 200
    for n in range(60):
        payment_record(actor=cast["finance"], customer=cast["customer_a2"], amount=D("1.00"), paid_on=date(2026, 4, 1), code=f"PN{n}")
    with django_assert_max_num_queries(7):
        response = client.get(reverse("finance:payment-list"))
    assert 'rel="next"' in response.content.decode()


# --- the customer page's panel ------------------------------------------------------------------

def test_customer_panel_shows_open_overdue_risk_and_last_payments(client, cast):
    customer = cast["customer_a"]
    Customer.objects.filter(pk=customer.pk).update(credit_limit=D("5000.00"))
    make_receivable(customer, "100.00", days_overdue=95)
    make_receivable(customer, "40.00", days_overdue=-5)
    for n in range(4):
        payment_record(actor=cast["finance"], customer=customer, amount=D("1.00"), paid_on=date(2026, 5, 1 + n), code=f"PP{n}")
    body = english_client(client, cast["finance"]).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    panel = body[body.index('data-testid="finance-panel"'):]
    panel = panel[:panel.index("</section>")]
    assert "¥5,000.00" in panel and 'data-testid="open-CNY">¥140.00' in panel and 'data-testid="overdue-CNY">¥100.00' in panel
    assert "Bad-debt risk" in panel
    assert "PP3" in panel and "PP1" in panel and "PP0" not in panel  # the last three
    assert reverse("finance:payment-create", args=[customer.pk]) in panel


def test_rep_panel_has_no_record_button(client, cast):
    customer = cast["customer_a"]
    body = english_client(client, cast["rep_a"]).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    panel = body[body.index('data-testid="finance-panel"'):]
    panel = panel[:panel.index("</section>")]
    assert reverse("finance:payment-create", args=[customer.pk]) not in panel and "Bad-debt risk" not in panel


def test_panel_runs_a_fixed_number_of_queries(rf, cast, django_assert_num_queries):
    from kehu.finance.templatetags.finance_panel import finance_panel

    customer = cast["customer_a"]
    request = rf.get("/")
    request.user = cast["finance"]
    with django_assert_num_queries(6):  # aging 2, payments 1, signed status 1, credit use 2
        finance_panel({"request": request}, customer)
    for n in range(10):
        make_receivable(customer, "1.00", days_overdue=n * 20)
        payment_record(actor=cast["finance"], customer=customer, amount=D("1.00"), paid_on=date(2026, 5, 1), code=f"PQ{n}")
    with django_assert_num_queries(6):
        finance_panel({"request": request}, customer)


def test_payments_appear_on_the_customer_timeline(cast):
    from kehu.finance.wiring import payment_entries

    payment_record(actor=cast["finance"], customer=cast["customer_a"], amount=D("12.00"), paid_on=date(2026, 5, 1), code="PT1")
    entries = payment_entries(customer=cast["customer_a"], user=cast["rep_a"], limit=5)
    assert [e.label for e in entries] == ["Payment PT1"] and entries[0].kind == "payment"
    assert payment_entries(customer=cast["customer_a"], user=cast["rep_b"], limit=5) == []


def test_panel_shows_signed_and_qualified_signed_as_section_3_defines_them(client, cast):
    """Signed: a contract and its first instalment paid in full; qualified: every due instalment
    paid in full by its due date (DOMAIN.md §3)."""
    from datetime import timedelta

    from django.utils import timezone

    from kehu.finance.models import Instalment
    from kehu.sales.models import Contract

    customer = cast["customer_a"]
    today = timezone.localdate()
    contract = Contract.objects.create(code="KSIGN", customer=customer, owner=cast["rep_a"], signed_on=today - timedelta(days=90), amount="300.00")
    Instalment.objects.create(contract=contract, seq=1, due_on=today - timedelta(days=60), amount="100.00")
    Instalment.objects.create(contract=contract, seq=2, due_on=today - timedelta(days=10), amount="100.00")
    Instalment.objects.create(contract=contract, seq=3, due_on=today + timedelta(days=30), amount="100.00")
    client = english_client(client, cast["rep_a"])
    url = reverse("customers:detail", args=[customer.pk])

    def status():
        body = client.get(url).content.decode()
        cell = body[body.index('data-testid="signed-status"'):]
        return cell[: cell.index("</dd>")]

    assert "Not signed yet" in status()
    payment_record(actor=cast["finance"], customer=customer, amount=D("100.00"), paid_on=today - timedelta(days=61), contract=contract, seq=1)
    assert "Signed, not qualified" in status()  # instalment 2 is due and open
    payment_record(actor=cast["finance"], customer=customer, amount=D("100.00"), paid_on=today - timedelta(days=10), contract=contract, seq=2)
    assert "Qualified signed" in status()  # paid on its due day counts as on time


def test_finance_sees_the_contract_code_where_a_payment_was_applied(client, finance, customer_a):
    """Issue 10 item 22: the allocation read "Contract 17" (the id) instead of the contract's code."""
    contract = Contract.objects.create(code="K000221", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("200.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), D("100.00")), (2, date(2026, 3, 1), D("100.00"))])
    client = english_client(client, finance)
    response = client.post(reverse("finance:payment-create", args=[customer_a.pk]),
                           {"amount": "150.00", "paid_on": "2026-05-02", "contract": contract.pk}, follow=True)
    body = response.content.decode()
    assert "Contract K000221, instalment 1" in body and "Contract K000221, instalment 2" in body
    assert f"Contract {contract.pk}," not in body
    from kehu.core.models import AuditEvent

    event = AuditEvent.objects.get(object_type="payment")
    assert set(event.changes["applied"][1]) == {"K000221 #1", "K000221 #2"}

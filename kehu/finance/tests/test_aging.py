"""Receivables aging (finance/aging.py): bucket boundaries, instalments as receivables, the
bad-debt risk flag, per customer / rep / company sums and the scope of each role."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.finance import aging
from kehu.finance.models import Instalment, Receivable
from kehu.sales.models import Contract
from conftest import english_client

D = Decimal
AS_OF = date(2026, 6, 30)


def receivable(customer, amount, *, days_overdue, open_amount=None, currency="CNY", order=None):
    return Receivable.objects.create(
        customer=customer, order=order, amount=D(amount), open_amount=D(open_amount if open_amount is not None else amount),
        currency=currency, issued_on=AS_OF - timedelta(days=200), due_on=AS_OF - timedelta(days=days_overdue),
    )


@pytest.mark.parametrize("days, bucket", [
    (-1, "current"), (0, "d0_30"), (30, "d0_30"), (31, "d31_60"), (60, "d31_60"), (61, "d61_90"), (90, "d61_90"), (91, "d90_plus"), (400, "d90_plus"),
])
def test_bucket_boundaries_in_python(days, bucket):
    assert aging.bucket_of(AS_OF - timedelta(days=days), AS_OF) == bucket


def test_finance_sql_buckets_follow_the_same_boundaries(finance, customer_a):
    cases = {-1: "1.00", 0: "2.00", 30: "4.00", 31: "8.00", 60: "16.00", 61: "32.00", 90: "64.00", 91: "128.00"}
    for days, amount in cases.items():
        receivable(customer_a, amount, days_overdue=days)
    b = aging.aging_by_customer(user=finance, as_of=AS_OF)[(customer_a.pk, "CNY")].buckets
    assert (b.current, b.d0_30, b.d31_60, b.d61_90, b.d90_plus) == (D("1.00"), D("6.00"), D("24.00"), D("96.00"), D("128.00"))
    assert b.overdue == D("254.00") and b.total == D("255.00")


def test_finance_only_open_amounts_count(finance, customer_a):
    receivable(customer_a, "500.00", days_overdue=10, open_amount="120.50")
    receivable(customer_a, "300.00", days_overdue=10, open_amount="0.00")
    b = aging.aging_by_customer(user=finance, as_of=AS_OF)[(customer_a.pk, "CNY")].buckets
    assert b.d0_30 == D("120.50") and b.total == D("120.50")


def test_finance_due_unpaid_instalments_are_owed_and_future_ones_are_not(finance, customer_a):
    contract = Contract.objects.create(code="K1", customer=customer_a, signed_on=date(2026, 1, 1), amount=D("600.00"))
    Instalment.objects.create(contract=contract, seq=1, due_on=AS_OF - timedelta(days=95), amount=D("200.00"), applied=D("50.00"))
    Instalment.objects.create(contract=contract, seq=2, due_on=AS_OF, amount=D("200.00"))
    Instalment.objects.create(contract=contract, seq=3, due_on=AS_OF + timedelta(days=1), amount=D("200.00"))
    b = aging.aging_by_customer(user=finance, as_of=AS_OF)[(customer_a.pk, "CNY")].buckets
    assert (b.current, b.d0_30, b.d90_plus) == (D("0.00"), D("200.00"), D("150.00"))


def test_finance_a_shipped_contract_order_is_owed_once_through_the_instalments(finance, rep_a, customer_a):
    """An order on a contract issues no receivable; the contract's due instalments are the claim,
    so they age (and a payment on the contract settles them) even after the order shipped."""
    from kehu.finance import services as orders
    from kehu.finance.services import payment_record
    from kehu.sales.models import Product

    product = Product.objects.create(code="P1", name="Widget", list_price=D("20.00"), unit_cost=D("1.00"))
    contract = Contract.objects.create(code="K1", customer=customer_a, owner=rep_a, signed_on=date(2026, 1, 1), amount=D("200.00"))
    Instalment.objects.create(contract=contract, seq=1, due_on=AS_OF - timedelta(days=5), amount=D("200.00"))
    order = orders.order_create(actor=rep_a, customer=customer_a, contract=contract, order_date=date(2026, 1, 2),
                                lines=[{"product": product, "quantity": D("10")}])
    orders.order_confirm(actor=rep_a, order=order, today=date(2026, 1, 2))
    orders.order_ship(actor=rep_a, order=order, shipped_on=date(2026, 1, 3))
    assert not Receivable.objects.exists()
    b = aging.aging_by_customer(user=finance, as_of=AS_OF)[(customer_a.pk, "CNY")].buckets
    assert (b.d0_30, b.total) == (D("200.00"), D("200.00"))
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("200.00"), paid_on=AS_OF)
    assert aging.aging_by_customer(user=finance, as_of=AS_OF) == {}


def test_finance_currencies_are_kept_apart(finance, customer_a):
    receivable(customer_a, "10.00", days_overdue=1)
    receivable(customer_a, "20.00", days_overdue=1, currency="USD")
    rows = aging.aging_by_customer(user=finance, as_of=AS_OF)
    assert rows[(customer_a.pk, "CNY")].buckets.total == D("10.00")
    assert rows[(customer_a.pk, "USD")].buckets.total == D("20.00")


@pytest.mark.parametrize("days, attitude, at_risk", [
    (91, "", True),  # more than 90 days overdue: always
    (90, "", False),
    (61, Customer.PaymentAttitude.DIFFICULT, True),  # more than 60 and one of the two worst attitudes
    (61, Customer.PaymentAttitude.ARREARS, True),
    (61, Customer.PaymentAttitude.DELAYED, False),
    (60, Customer.PaymentAttitude.ARREARS, False),
    (5, Customer.PaymentAttitude.ARREARS, False),
])
def test_bad_debt_risk_rule(finance, customer_a, days, attitude, at_risk):
    Customer.objects.filter(pk=customer_a.pk).update(payment_attitude=attitude)
    receivable(customer_a, "100.00", days_overdue=days)
    report = aging.aging_report(user=finance, as_of=AS_OF)
    assert [r.is_at_risk for r in report.customers] == [at_risk]
    assert report.reps[0].at_risk == int(at_risk)


def test_report_sums_per_rep_and_company(finance, rep_a, rep_a2, customer_a, customer_a2, customer_b, pool_customer):
    receivable(customer_a, "100.00", days_overdue=10)
    receivable(customer_a, "0.01", days_overdue=100)
    receivable(customer_a2, "50.00", days_overdue=40)
    receivable(customer_b, "7.00", days_overdue=-3)
    receivable(pool_customer, "3.00", days_overdue=70)
    report = aging.aging_report(user=finance, as_of=AS_OF)
    (currency, company), = report.company
    assert currency == "CNY" and company.total == D("160.01") and company.overdue == D("153.01")
    by_rep = {r.owner_id: r for r in report.reps}
    assert by_rep[rep_a.pk].buckets.total == D("100.01") and by_rep[rep_a.pk].at_risk == 1
    assert by_rep[rep_a2.pk].buckets.d31_60 == D("50.00")
    assert by_rep[None].buckets.d61_90 == D("3.00")  # the pool
    assert [r.customer_id for r in report.customers][0] == customer_a.pk  # most overdue first


@pytest.mark.parametrize("who, sees", [
    ("rep_a", {"customer_a", "pool_customer"}),
    ("rep_b", {"customer_b", "pool_customer"}),
    ("manager_a", {"customer_a", "customer_a2", "pool_customer"}),
    ("finance", {"customer_a", "customer_a2", "customer_b", "pool_customer"}),
    ("admin", {"customer_a", "customer_a2", "customer_b", "pool_customer"}),
])
def test_aging_is_scoped_by_role(cast, who, sees):
    for key in ("customer_a", "customer_a2", "customer_b", "pool_customer"):
        receivable(cast[key], "10.00", days_overdue=5)
        contract = Contract.objects.create(code=f"K{key}", customer=cast[key], signed_on=date(2026, 1, 1), amount=D("10.00"))
        Instalment.objects.create(contract=contract, seq=1, due_on=AS_OF, amount=D("10.00"))
    report = aging.aging_report(user=cast[who], as_of=AS_OF)
    assert {r.customer_id for r in report.customers} == {cast[k].pk for k in sees}
    assert all(r.buckets.total == D("20.00") for r in report.customers)


def test_rep_b_aging_page_shows_only_own_customers_and_the_risk_flag(client, cast):
    Customer.objects.filter(pk=cast["customer_b"].pk).update(payment_attitude="arrears")
    receivable(cast["customer_a"], "111.00", days_overdue=100)
    receivable(cast["customer_b"], "222.00", days_overdue=70)
    body = english_client(client, cast["rep_b"]).get(reverse("finance:aging"), {"as_of": AS_OF.isoformat()}).content.decode()
    assert cast["customer_b"].name in body and "¥222.00" in body and "Bad-debt risk" in body
    assert cast["customer_a"].name not in body and "111.00" not in body


def test_finance_aging_page_query_count_does_not_grow(client, cast, django_assert_max_num_queries):
    from conftest import english_client, make_customer

    client = english_client(client, cast["finance"])
    receivable(cast["customer_a"], "1.00", days_overdue=5)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("finance:aging")).status_code == 200
    for i in range(60):
        customer = make_customer(cast["rep_a"] if i % 2 else cast["rep_b"], f"客户{i}", f"AG{i:04d}")
        receivable(customer, "1.00", days_overdue=i * 3)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("finance:aging"))
    assert response.status_code == 200 and 'rel="next"' in response.content.decode()


def test_receivable_page_shows_days_overdue(client, cast):
    r = receivable(cast["customer_a"], "100.00", days_overdue=31)
    body = english_client(client, cast["rep_a"]).get(reverse("finance:receivable-detail", args=[r.pk]), {"as_of": AS_OF.isoformat()}).content.decode()
    assert 'data-testid="days-overdue">31' in body
    assert reverse("finance:receivable-writeoff", args=[r.pk]) not in body  # reps may not write off
    assert english_client(client, cast["rep_b"]).get(reverse("finance:receivable-detail", args=[r.pk])).status_code == 404


@pytest.mark.parametrize("as_of", ["0001-01-05", "9999-12-31"])
def test_aging_page_refuses_dates_outside_2000_2099(client, cast, as_of):
    finance = cast["finance"]
    finance.language = "en"
    finance.save(update_fields=["language"])
    client.force_login(finance)
    Receivable.objects.create(customer=cast["customer_a"], amount=D("10"), open_amount=D("10"), issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1))
    response = client.get(reverse("finance:aging"), {"as_of": as_of})
    assert response.status_code == 200
    assert "Enter a date between 2000-01-01 and 2099-12-31." in response.content.decode()

"""The aging's company totals straight from SQL (finance/aging.py `company_totals`, the 工作台's aging
card): the same rows and buckets as `aging_report`'s company totals for every role — several
currencies, paid, partly paid and future instalments, customers in the recycle bin — and the
partial covering indexes the planner reads them from."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from kehu.customers.models import Customer
from kehu.finance import aging
from kehu.finance.models import Instalment, Receivable
from kehu.sales.models import Contract

D = Decimal
AS_OF = date(2026, 6, 30)


def receivable(customer, amount, *, days_overdue, open_amount=None, currency="CNY"):
    return Receivable.objects.create(
        customer=customer, amount=D(amount), open_amount=D(open_amount if open_amount is not None else amount),
        currency=currency, issued_on=AS_OF - timedelta(days=200), due_on=AS_OF - timedelta(days=days_overdue),
    )


def contract(code, customer, currency="CNY"):
    return Contract.objects.create(code=code, customer=customer, signed_on=date(2026, 1, 1), amount=D("10000.00"), currency=currency)


def instalment(k, seq, amount, *, days_overdue, applied="0.00"):
    return Instalment.objects.create(contract=k, seq=seq, due_on=AS_OF - timedelta(days=days_overdue), amount=D(amount), applied=D(applied))


@pytest.fixture
def world(cast):
    a, a2, b, pool = cast["customer_a"], cast["customer_a2"], cast["customer_b"], cast["pool_customer"]
    dead = Customer.objects.create(name="已删除客户", code="DEAD1", owner=cast["rep_a"])
    # receivables: open in two currencies, one paid off, one of a deleted customer
    receivable(a, "100.00", days_overdue=5)
    receivable(a, "300.00", days_overdue=10, open_amount="0.00")
    receivable(b, "40.00", days_overdue=-3, currency="USD")
    receivable(pool, "7.00", days_overdue=95)
    receivable(dead, "999.00", days_overdue=40)
    # instalments: CNY and USD contracts; partly paid, paid in full, not yet due; a deleted customer's
    k1, k2, k3, k4 = contract("K1", a), contract("K2", a2, "USD"), contract("K3", b), contract("K4", dead)
    instalment(k1, 1, "200.00", days_overdue=95, applied="50.00")   # 150.00 d90_plus
    instalment(k1, 2, "200.00", days_overdue=0)                     # 200.00 d0_30
    instalment(k1, 3, "200.00", days_overdue=-1)                    # not due: left out
    instalment(k1, 4, "80.00", days_overdue=61, applied="80.00")    # paid in full: left out
    instalment(k2, 1, "30.00", days_overdue=31)                     # USD 30.00 d31_60
    instalment(k2, 2, "20.00", days_overdue=90, applied="5.00")     # USD 15.00 d61_90
    instalment(k3, 1, "12.34", days_overdue=61)                     # 12.34 d61_90
    instalment(k4, 1, "500.00", days_overdue=200)                   # deleted customer: left out
    Customer.objects.filter(pk=dead.pk).update(is_deleted=True)
    return cast


def _plain(totals):
    return {c: tuple(getattr(b, n) for n in aging.BUCKETS) for c, b in totals.items()}


def test_company_totals_exact_for_those_who_see_everything(world):
    for who in ("director", "finance", "admin"):
        assert _plain(aging.company_totals(user=world[who], as_of=AS_OF)) == {
            "CNY": (D("0.00"), D("300.00"), D("0.00"), D("12.34"), D("157.00")),
            "USD": (D("40.00"), D("0.00"), D("30.00"), D("15.00"), D("0.00")),
        }, who


@pytest.mark.parametrize("who", ["director", "finance", "admin", "manager_a", "rep_a", "rep_b"])
def test_company_totals_equal_the_aging_reports(world, who):
    user = world[who]
    report = aging.aging_report(user=user, as_of=AS_OF)
    assert _plain(aging.company_totals(user=user, as_of=AS_OF)) == _plain(dict(report.company))


def test_company_totals_of_a_rep_are_their_customers_and_the_pool(world):
    assert _plain(aging.company_totals(user=world["rep_a"], as_of=AS_OF)) == {
        "CNY": (D("0.00"), D("300.00"), D("0.00"), D("0.00"), D("157.00")),
    }


def test_instalment_totals_without_rows(cast):
    assert aging.instalment_totals(user=cast["director"], as_of=AS_OF) == {}
    assert aging.company_totals(user=cast["director"], as_of=AS_OF) == {}


def test_company_totals_three_queries(world, django_assert_num_queries):
    with django_assert_num_queries(3):
        aging.company_totals(user=world["director"], as_of=AS_OF)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_the_planner_reads_the_partial_covering_indexes(world):
    from django.db.models import F, Sum

    due = (Instalment.objects.filter(due_on__lte=AS_OF, applied__lt=F("amount")).order_by().values("due_on")
           .annotate(open=Sum(F("amount") - F("applied"))))
    assert "instalment_open_due_idx" in due.explain()
    open_ = Receivable.objects.filter(open_amount__gt=0, due_on__lte=AS_OF).order_by().values("currency", "due_on", "open_amount")
    assert "receivable_open_due_idx" in open_.explain()

"""Credit control (kehu/finance/credit.py, DOMAIN.md §4): the credit limit and the overdue rule."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from kehu.core.models import CompanySettings
from kehu.finance.credit import LIMIT, OVERDUE, can_release_order, credit_check
from kehu.finance.models import Receivable
from kehu.sales.models import SalesOrder

D = Decimal
TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def receivable(customer, *, open_amount="1000.00", due_on=TODAY, amount=None):
    return Receivable.objects.create(customer=customer, amount=D(amount or open_amount), open_amount=D(open_amount),
                                     issued_on=due_on - timedelta(days=30), due_on=due_on)


def limit(customer, value):
    customer.credit_limit = None if value is None else D(value)
    customer.save(update_fields=["credit_limit"])


def codes(reasons):
    return [r.code for r in reasons]


def test_open_plus_order_equal_to_the_limit_passes(customer_a):
    limit(customer_a, "5000.00")
    receivable(customer_a, open_amount="3000.00")
    assert credit_check(customer_a, D("2000.00"), today=TODAY) == []


def test_one_cent_over_the_limit_blocks_with_the_figures(customer_a):
    limit(customer_a, "5000.00")
    receivable(customer_a, open_amount="3000.00")
    reasons = credit_check(customer_a, D("2000.01"), today=TODAY)
    assert codes(reasons) == [LIMIT]
    assert reasons[0].figures == {"limit": "5000.00", "open": "3000.00", "order": "2000.01", "total": "5000.01"}
    assert "above the credit limit" in reasons[0].text


def test_only_open_amounts_count_against_the_limit(customer_a):
    limit(customer_a, "1000.00")
    receivable(customer_a, amount="5000.00", open_amount="0.00")
    receivable(customer_a, amount="5000.00", open_amount="400.00")
    assert credit_check(customer_a, D("600.00"), today=TODAY) == []
    assert codes(credit_check(customer_a, D("600.01"), today=TODAY)) == [LIMIT]


def test_other_customers_receivables_do_not_count(customer_a, customer_b):
    limit(customer_a, "1000.00")
    receivable(customer_b, open_amount="9000.00", due_on=TODAY - timedelta(days=365))
    assert credit_check(customer_a, D("1000.00"), today=TODAY) == []


def test_without_a_limit_only_the_overdue_rule_applies(customer_a):
    limit(customer_a, None)
    receivable(customer_a, open_amount="99999999.00")
    assert credit_check(customer_a, D("99999999.00"), today=TODAY) == []
    receivable(customer_a, open_amount="1.00", due_on=TODAY - timedelta(days=61))
    assert codes(credit_check(customer_a, D("1.00"), today=TODAY)) == [OVERDUE]


def test_a_zero_limit_is_a_limit(customer_a):
    limit(customer_a, "0.00")
    assert codes(credit_check(customer_a, D("0.01"), today=TODAY)) == [LIMIT]


def test_exactly_n_days_overdue_passes_and_n_plus_one_blocks(customer_a):
    receivable(customer_a, due_on=TODAY - timedelta(days=60))
    assert credit_check(customer_a, D("1.00"), today=TODAY) == []
    receivable(customer_a, open_amount="250.00", due_on=TODAY - timedelta(days=61))
    reasons = credit_check(customer_a, D("1.00"), today=TODAY)
    assert codes(reasons) == [OVERDUE]
    assert reasons[0].figures == {"days": "60", "count": "1", "amount": "250.00", "oldest": "61"}


def test_the_overdue_threshold_is_the_company_setting(customer_a):
    conf = CompanySettings.load()
    conf.credit_overdue_block_days = 10
    conf.save()
    receivable(customer_a, due_on=TODAY - timedelta(days=11))
    assert codes(credit_check(customer_a, D("1.00"), today=TODAY)) == [OVERDUE]


def test_a_paid_old_receivable_does_not_block(customer_a):
    receivable(customer_a, amount="100.00", open_amount="0.00", due_on=TODAY - timedelta(days=400))
    assert credit_check(customer_a, D("1.00"), today=TODAY) == []


def test_both_reasons_at_once(customer_a):
    limit(customer_a, "100.00")
    receivable(customer_a, open_amount="100.00", due_on=TODAY - timedelta(days=90))
    assert codes(credit_check(customer_a, D("0.01"), today=TODAY)) == [LIMIT, OVERDUE]


def test_credit_check_runs_a_fixed_number_of_queries(customer_a, django_assert_max_num_queries):
    for n in range(20):
        receivable(customer_a, due_on=TODAY - timedelta(days=n * 10))
    with django_assert_max_num_queries(5):  # settings (get_or_create) + one read of the receivables
        credit_check(customer_a, D("1.00"), today=TODAY)


@pytest.mark.parametrize("who,allowed", [("finance", True), ("admin", True), ("manager_a", True), ("director", True),
                                         ("rep_a", False), ("rep_a2", False)])
def test_who_may_release(request, customer_a, rep_a, who, allowed):
    order = SalesOrder.objects.create(code="S-R", customer=customer_a, owner=rep_a, order_date=TODAY, status=SalesOrder.Status.BLOCKED)
    assert can_release_order(request.getfixturevalue(who), order) is allowed

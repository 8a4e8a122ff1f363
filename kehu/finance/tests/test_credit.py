"""Credit control (kehu/finance/services/credit.py, DOMAIN.md §4): the credit limit and the overdue rule."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kehu.core.models import CompanySettings
from kehu.finance.permissions import can_release_order
from kehu.finance.services.credit import LIMIT, OVERDUE, credit_check, reason_text
from kehu.finance.models import Instalment, Receivable
from kehu.sales.models import Contract, OrderLine, Product, SalesOrder

D = Decimal
TODAY = date(2026, 6, 30)


def receivable(customer, *, open_amount="1000.00", due_on=TODAY, amount=None):
    return Receivable.objects.create(customer=customer, amount=D(amount or open_amount), open_amount=D(open_amount),
                                     issued_on=due_on - timedelta(days=30), due_on=due_on)


def unshipped_order(customer, owner, revenue, *, status=SalesOrder.Status.CONFIRMED, contract=None):
    n = SalesOrder.objects.count() + 1
    order = SalesOrder.objects.create(code=f"S-U{n}", customer=customer, owner=owner, contract=contract, order_date=TODAY, status=status)
    product = Product.objects.get_or_create(code="P-U", defaults={"name": "U", "list_price": D("1.00"), "unit_cost": D("0.00")})[0]
    OrderLine.objects.create(order=order, product=product, quantity=D("1"), unit_price=D(revenue), unit_cost=D("0"), revenue=D(revenue), cost=D("0"))
    return order


def instalment(customer, *, amount="1000.00", applied="0.00", due_on=TODAY, seq=None):
    contract = Contract.objects.filter(customer=customer, code="K-C").first() or Contract.objects.create(
        code="K-C", customer=customer, signed_on=TODAY - timedelta(days=400), amount=D("100000.00"))
    seq = seq or Instalment.objects.filter(contract=contract).count() + 1
    return Instalment.objects.create(contract=contract, seq=seq, due_on=due_on, amount=D(amount), applied=D(applied))


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
    assert reasons[0].figures == {"limit": "5000.00", "used": "3000.00", "receivables": "3000.00", "instalments": "0.00", "unshipped": "0.00",
                                  "order": "2000.01", "total": "5000.01", "currency": "CNY"}
    assert reasons[0].text == ("Credit in use ¥3,000.00 (open receivables ¥3,000.00, due instalments ¥0.00, confirmed orders not yet "
                               "shipped ¥0.00) plus this order ¥2,000.01 come to ¥5,000.01, above the credit limit ¥5,000.00.")


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
    assert reasons[0].figures == {"days": "60", "count": "1", "amount": "250.00", "oldest": "61", "currency": "CNY"}
    assert reasons[0].text == "1 receivable or instalment with ¥250.00 open is more than 60 days overdue (61 days)."


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


def test_due_open_instalments_count_against_the_limit_and_future_ones_do_not(customer_a):
    limit(customer_a, "1000.00")
    instalment(customer_a, amount="500.00", applied="200.00", due_on=TODAY)  # 300 open, due today
    instalment(customer_a, amount="500.00", applied="500.00", due_on=TODAY - timedelta(days=10))  # paid
    instalment(customer_a, amount="9000.00", due_on=TODAY + timedelta(days=1))  # not yet due: a plan, not a debt
    receivable(customer_a, open_amount="400.00")
    assert credit_check(customer_a, D("300.00"), today=TODAY) == []
    reasons = credit_check(customer_a, D("300.01"), today=TODAY)
    assert codes(reasons) == [LIMIT] and reasons[0].figures["used"] == "700.00" and reasons[0].figures["total"] == "1000.01"


def test_confirmed_unshipped_orders_without_a_contract_count_against_the_limit(customer_a, rep_a):
    limit(customer_a, "1000.00")
    unshipped_order(customer_a, rep_a, "600.00")
    contract = Contract.objects.create(code="K-O", customer=customer_a, signed_on=TODAY, amount=D("5000.00"))
    unshipped_order(customer_a, rep_a, "5000.00", contract=contract)  # billed through the contract's plan
    for status in (SalesOrder.Status.DRAFT, SalesOrder.Status.BLOCKED, SalesOrder.Status.SHIPPED):
        unshipped_order(customer_a, rep_a, "5000.00", status=status)
    assert credit_check(customer_a, D("400.00"), today=TODAY) == []
    reasons = credit_check(customer_a, D("400.01"), today=TODAY)
    assert codes(reasons) == [LIMIT]
    assert (reasons[0].figures["used"], reasons[0].figures["unshipped"]) == ("600.00", "600.00")


def test_an_instalment_open_more_than_n_days_past_due_blocks(customer_a):
    instalment(customer_a, amount="300.00", applied="100.00", due_on=TODAY - timedelta(days=60))
    assert credit_check(customer_a, D("1.00"), today=TODAY) == []
    instalment(customer_a, amount="300.00", applied="100.00", due_on=TODAY - timedelta(days=70))
    receivable(customer_a, open_amount="50.00", due_on=TODAY - timedelta(days=61))
    reasons = credit_check(customer_a, D("1.00"), today=TODAY)
    assert codes(reasons) == [OVERDUE]
    assert reasons[0].figures == {"days": "60", "count": "2", "amount": "250.00", "oldest": "70", "currency": "CNY"}
    assert reasons[0].text == ("2 receivables or instalments with ¥250.00 open are more than 60 days overdue "
                               "(the oldest 70 days).")


def test_reason_text_formats_money_in_the_customers_currency_and_reads_old_figures(customer_a):
    customer_a.currency = "USD"
    limit(customer_a, "7000.00")
    receivable(customer_a, open_amount="7200.00")
    assert "above the credit limit $7,000.00" in credit_check(customer_a, D("1.00"), today=TODAY)[0].text
    old = {"code": "credit_limit", "limit": "59.96", "open": "0.00", "order": "59.97", "total": "59.97"}  # stored before
    assert reason_text(LIMIT, old) == ("Credit in use ¥0.00 (open receivables and due instalments ¥0.00, confirmed orders not yet shipped "
                                       "¥0.00) plus this order ¥59.97 come to ¥59.97, above the credit limit ¥59.96.")


def test_credit_check_runs_a_fixed_number_of_queries(customer_a, rep_a, django_assert_max_num_queries):
    limit(customer_a, "1.00")
    contract = Contract.objects.create(code="K-Q", customer=customer_a, signed_on=TODAY, amount=D("2000.00"))
    for n in range(20):
        receivable(customer_a, due_on=TODAY - timedelta(days=n * 10))
        Instalment.objects.create(contract=contract, seq=n + 1, due_on=TODAY - timedelta(days=n * 10), amount=D("100.00"))
        unshipped_order(customer_a, rep_a, "1.00")
    # settings (get_or_create: 4 the first time) + one read of receivables and instalments + one sum of unshipped orders
    with django_assert_max_num_queries(6):
        reasons = credit_check(customer_a, D("1.00"), today=TODAY)
    assert codes(reasons) == [LIMIT, OVERDUE]
    assert reasons[0].figures["used"] == "22020.00"


@pytest.mark.parametrize("who,allowed", [("finance", True), ("admin", True), ("manager_a", True), ("director", True),
                                         ("rep_a", False), ("rep_a2", False)])
def test_who_may_release(request, customer_a, rep_a, who, allowed):
    order = SalesOrder.objects.create(code="S-R", customer=customer_a, owner=rep_a, order_date=TODAY, status=SalesOrder.Status.BLOCKED)
    assert can_release_order(request.getfixturevalue(who), order) is allowed

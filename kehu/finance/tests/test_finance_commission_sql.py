"""The commission page aggregated in SQL (issue 13, finance/commission.py `commission_page`): the
same per-rep totals, company totals and lines — rate of the tier policy (key account → value class
→ pyramid tier → company default), rounded half-up to the cent per line, attribution to the
contract's / order's / customer's owner, scope by credited rep — as `commission_report` (the
Python rule), for every role; paged; a fixed number of queries whatever the number of lines."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import english_client, make_customer
from kehu.core.models import CompanySettings
from kehu.customers.models import Customer
from kehu.finance.commission import commission_page, commission_report, totals_by_currency
from kehu.finance.models import Receivable
from kehu.finance.services import contract_plan_set, payment_record
from kehu.ranking.models import TierPolicy
from kehu.sales.models import Contract, SalesOrder

D = Decimal
MAY = (date(2026, 5, 1), date(2026, 5, 31))


def contract_of(customer, owner, code, *, amount="100000.00", currency="CNY", finance=None):
    contract = Contract.objects.create(code=code, customer=customer, owner=owner, signed_on=date(2026, 1, 1), amount=D(amount), currency=currency)
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), D(amount))])
    return contract


def rank(customer, *, key=False, value="", pyramid=""):
    Customer.objects.filter(pk=customer.pk).update(is_key_account=key, value_class=value, pyramid_tier=pyramid)


@pytest.fixture
def world(cast):
    conf = CompanySettings.load()
    conf.default_commission_rate_pct = D("3.00")
    conf.save()
    f = cast["finance"]
    a, a2, b, pool = cast["customer_a"], cast["customer_a2"], cast["customer_b"], cast["pool_customer"]
    key = make_customer(cast["rep_b"], "大客户", "KEY1")
    rank(a, value="diamond", pyramid="important")      # value 2.50 wins over pyramid 4.75
    rank(a2, value="general", pyramid="important")     # value policy without a rate: pyramid 4.75
    rank(b, pyramid="small")                           # pyramid policy with only a discount: the default 3.00
    rank(key, key=True, value="diamond")               # key account 1.33
    TierPolicy.objects.create(model="key_account", klass="key", commission_rate_pct=D("1.33"))
    TierPolicy.objects.create(model="value", klass="diamond", commission_rate_pct=D("2.50"))
    TierPolicy.objects.create(model="value", klass="general", max_discount_pct=D("4.00"))
    TierPolicy.objects.create(model="pyramid", klass="important", commission_rate_pct=D("4.75"))
    TierPolicy.objects.create(model="pyramid", klass="small", max_discount_pct=D("1.00"))
    amounts = ["0.50", "0.49", "0.30", "12345.67", "0.01", "1.99", "33.33"]  # half-cents and near halves at each rate
    for n, (customer, owner) in enumerate(((a, cast["rep_a"]), (a2, cast["rep_a2"]), (b, cast["rep_b"]), (key, cast["rep_b"]), (pool, None))):
        contract = contract_of(customer, owner, f"K{n}", finance=f)
        for i, amount in enumerate(amounts):
            payment_record(actor=f, customer=customer, contract=contract, amount=D(amount), paid_on=date(2026, 5, 1 + (i * 3 + n) % 31),
                           code=f"P{n}-{i}")
    usd = contract_of(a, None, "KUSD", currency="USD", finance=f)  # no contract owner: the customer's owner
    payment_record(actor=f, customer=a, contract=usd, amount=D("10.10"), paid_on=date(2026, 5, 9), code="PUSD")
    order = SalesOrder.objects.create(code="S1", customer=a, owner=cast["manager_a"], order_date=date(2026, 1, 2))
    by_order = Receivable.objects.create(customer=a, order=order, amount=D("200.00"), open_amount=D("200.00"),
                                         issued_on=date(2026, 1, 2), due_on=date(2026, 2, 2))
    payment_record(actor=f, customer=a, receivable=by_order, amount=D("150.50"), paid_on=date(2026, 5, 3), code="PORD")
    bare = Receivable.objects.create(customer=b, amount=D("400.00"), open_amount=D("400.00"), issued_on=date(2026, 1, 2), due_on=date(2026, 2, 2))
    payment_record(actor=f, customer=b, receivable=bare, amount=D("0.50"), paid_on=date(2026, 5, 4), code="PBARE")
    payment_record(actor=f, customer=b, amount=D("99.00"), paid_on=date(2026, 5, 5), code="PACC")  # on account: nothing
    payment_record(actor=f, customer=a, contract=Contract.objects.get(code="K0"), amount=D("7.77"), paid_on=date(2026, 4, 30), code="PAPR")
    return cast


def per_rep_of(per_rep):
    return [(t.rep_id, t.currency, t.collected, t.commission, t.lines) for t in per_rep]


def lines_of(lines):
    return [(l.payment_code, l.paid_on, l.customer_id, l.customer_name, l.currency, l.collected, l.rate_pct, l.commission, l.rep_id, l.customer_visible)
            for l in lines]


@pytest.mark.parametrize("who", ["finance", "admin", "director", "manager_a", "rep_a", "rep_a2", "rep_b"])
def test_finance_sql_commission_equals_the_python_rule(world, who):
    user = world[who]
    per_rep, lines = commission_report(user=user, date_from=MAY[0], date_to=MAY[1])
    page = commission_page(user=user, date_from=MAY[0], date_to=MAY[1], offset=0, limit=1000)
    assert per_rep_of(page.per_rep) == per_rep_of(per_rep)
    assert page.totals == totals_by_currency(per_rep)
    assert lines_of(page.lines) == lines_of(lines)
    assert page.total == len(lines) and not page.has_next


def test_finance_sql_commission_exact_figures(world):
    from kehu.finance import commission

    assert commission._rate_cases() is not None  # the SQL path, not the fallback
    page = commission_page(user=world["finance"], date_from=MAY[0], date_to=MAY[1], offset=0, limit=1000)
    rates = {l.payment_code: (l.rate_pct, l.commission) for l in page.lines}
    assert rates["P0-0"] == (D("2.50"), D("0.01"))    # 0.0125 → 0.01
    assert rates["P1-0"] == (D("4.75"), D("0.02"))    # 0.02375 → 0.02
    assert rates["P1-2"] == (D("4.75"), D("0.01"))    # 0.01425 → 0.01
    assert rates["P2-0"] == (D("3.00"), D("0.02"))    # 0.015 → 0.02 (half-up)
    assert rates["P3-3"] == (D("1.33"), D("164.20"))  # 164.1974…
    assert rates["P0-3"] == (D("2.50"), D("308.64"))  # 308.64175
    assert "PACC" not in rates and "PAPR" not in rates
    by_rep = {(t.rep_id, t.currency): t for t in page.per_rep}
    assert by_rep[(world["manager_a"].pk, "CNY")].commission == D("3.76")  # 150.50 × 2.50 % = 3.7625
    assert by_rep[(world["rep_a"].pk, "USD")].commission == D("0.25")      # 10.10 × 2.50 % = 0.2525
    assert by_rep[(None, "CNY")].lines == 7                                # the pool customer's


def test_finance_sql_commission_pages_cover_every_line_once(world):
    _per_rep, lines = commission_report(user=world["finance"], date_from=MAY[0], date_to=MAY[1])
    seen, offset = [], 0
    while True:
        page = commission_page(user=world["finance"], date_from=MAY[0], date_to=MAY[1], offset=offset, limit=4)
        seen += page.lines
        if not page.has_next:
            break
        offset += 4
    assert lines_of(seen) == lines_of(lines) and len(seen) == 38


def test_finance_sql_commission_without_lines(cast):
    page = commission_page(user=cast["finance"], date_from=MAY[0], date_to=MAY[1])
    assert (page.per_rep, page.totals, page.lines, page.total, page.has_next) == ([], [], [], 0, False)


@pytest.mark.parametrize("who", ["finance", "director", "manager_a", "rep_b"])
def test_finance_commission_page_fixed_query_count(client, world, who, django_assert_max_num_queries):
    client = english_client(client, world[who])
    with django_assert_max_num_queries(15):
        first = client.get(reverse("finance:commission"), {"month": "2026-05"})
    customer = world["customer_b"]
    contract = contract_of(customer, world["rep_b"], "KMANY", finance=world["finance"])
    for i in range(60):
        payment_record(actor=world["finance"], customer=customer, contract=contract, amount=D("1.00"), paid_on=date(2026, 5, 20), code=f"PM{i:03d}")
    with django_assert_max_num_queries(15):
        second = client.get(reverse("finance:commission"), {"month": "2026-05"})
    with django_assert_max_num_queries(15):
        third = client.get(reverse("finance:commission"), {"month": "2026-05", "page": 2})
    assert first.status_code == second.status_code == third.status_code == 200
    if who != "manager_a":
        assert 'rel="next"' in second.content.decode()


def test_finance_commission_page_shows_the_total_of_every_line(client, world):
    body = english_client(client, world["finance"]).get(reverse("finance:commission"), {"month": "2026-05"}).content.decode()
    per_rep, _lines = commission_report(user=world["finance"], date_from=MAY[0], date_to=MAY[1])
    (_c, _collected, earned), _usd = totals_by_currency(per_rep)
    assert f'data-testid="commission-total-CNY">¥{earned:,}' in body


def test_finance_commission_page_falls_back_to_the_python_rule_without_an_sql_rate(world, monkeypatch):
    """A policy provider without an SQL form of its rate: the page asks `customer_policies`."""
    from kehu.sales import policy

    tier = policy.Policy(max_discount_pct=D("5"), payment_term_days=30, commission_rate_pct=D("4.50"), tier="A")
    a = world["customer_a"]
    monkeypatch.setattr(policy, "POLICY_PROVIDERS", [lambda ids: {i: tier for i in ids if i == a.pk}])
    per_rep, lines = commission_report(user=world["finance"], date_from=MAY[0], date_to=MAY[1])
    page = commission_page(user=world["finance"], date_from=MAY[0], date_to=MAY[1], offset=0, limit=1000)
    assert per_rep_of(page.per_rep) == per_rep_of(per_rep) and lines_of(page.lines) == lines_of(lines)
    assert {l.rate_pct for l in page.lines if l.customer_id == a.pk} == {D("4.50")}

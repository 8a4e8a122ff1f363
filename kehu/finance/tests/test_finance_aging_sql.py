"""The aging page aggregated in SQL (issue 13, finance/aging.py `aging_page`, `aging_report`,
`aging_rows`): the same rows, buckets, risk flags, per-rep and company sums as the per-customer
Python reference (`aging_by_customer` + `is_at_risk`, the rule before the change) for every role,
on a hand-made world with several currencies, partly paid, future and paid instalments, a
customer in the recycle bin and risky attitudes; one page at a time with the shared pager; a
fixed number of queries whatever the number of rows."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import english_client, make_customer
from kehu.customers.models import Customer
from kehu.finance import aging
from kehu.finance.tests.test_aging_totals import AS_OF, contract, instalment, receivable

D = Decimal


@pytest.fixture
def world(cast):
    a, a2, b, pool = cast["customer_a"], cast["customer_a2"], cast["customer_b"], cast["pool_customer"]
    Customer.objects.filter(pk=a2.pk).update(payment_attitude="difficult")
    Customer.objects.filter(pk=b.pk).update(payment_attitude="arrears")
    dead = Customer.objects.create(name="已删除客户", code="DEAD1", owner=cast["rep_a"])
    receivable(a, "100.00", days_overdue=5)
    receivable(a, "0.01", days_overdue=91)
    receivable(a, "300.00", days_overdue=10, open_amount="0.00")   # paid: left out
    receivable(a, "8.00", days_overdue=-3)                          # current
    receivable(b, "40.00", days_overdue=-3, currency="USD")
    receivable(b, "9.00", days_overdue=61)                          # arrears and > 60: at risk
    receivable(pool, "7.00", days_overdue=95)
    receivable(dead, "999.00", days_overdue=40)
    k1, k2, k3, k4, k5 = contract("K1", a), contract("K2", a2, "USD"), contract("K3", b), contract("K4", dead), contract("K5", a)
    instalment(k1, 1, "200.00", days_overdue=95, applied="50.00")   # 150.00 d90_plus
    instalment(k1, 2, "200.00", days_overdue=0)                     # 200.00 d0_30
    instalment(k1, 3, "200.00", days_overdue=-1)                    # not due: left out
    instalment(k1, 4, "80.00", days_overdue=61, applied="80.00")    # paid in full: left out
    instalment(k2, 1, "30.00", days_overdue=31)                     # USD 30.00 d31_60
    instalment(k2, 2, "20.00", days_overdue=90, applied="5.00")     # USD 15.00 d61_90 (difficult: at risk)
    instalment(k3, 1, "12.34", days_overdue=60)                     # 12.34 d31_60
    instalment(k3, 2, "1.00", days_overdue=30)                      # 1.00 d0_30
    instalment(k4, 1, "500.00", days_overdue=200)                   # deleted customer: left out
    instalment(k5, 1, "33.33", days_overdue=31)                     # a second contract of a: 33.33 d31_60
    Customer.objects.filter(pk=dead.pk).update(is_deleted=True)
    return cast


def reference(user, as_of=AS_OF):
    """The report as computed before issue 13: every row in Python."""
    rows = aging.aging_by_customer(user=user, as_of=as_of)
    attitudes = dict(Customer.objects.values_list("pk", "payment_attitude"))
    company, reps = defaultdict(aging.Buckets), {}
    for e in rows.values():
        e.is_at_risk = aging.is_at_risk(e.buckets, attitudes.get(e.customer_id, ""))
        company[e.currency].add(e.buckets)
        rep = reps.setdefault((e.owner_id, e.currency), aging.RepAging(owner_id=e.owner_id, currency=e.currency))
        rep.buckets.add(e.buckets)
        rep.customers += 1
        rep.at_risk += e.is_at_risk
    customers = sorted(rows.values(), key=lambda e: (-e.buckets.overdue, -e.buckets.total, e.customer_id, e.currency))
    return (
        [(c, plain(b)) for c, b in sorted(company.items())],
        sorted((r.owner_id or 0, r.currency, plain(r.buckets), r.customers, r.at_risk) for r in reps.values()),
        [(r.customer_id, r.currency, r.owner_id, plain(r.buckets), r.is_at_risk) for r in customers],
    )


def plain(b):
    return tuple(getattr(b, n) for n in aging.BUCKETS)


def shape(company, reps, customers):
    return (
        [(c, plain(b)) for c, b in company],
        sorted((r.owner_id or 0, r.currency, plain(r.buckets), r.customers, r.at_risk) for r in reps),
        [(r.customer_id, r.currency, r.owner_id, plain(r.buckets), r.is_at_risk) for r in customers],
    )


ROLES = ["director", "finance", "admin", "manager_a", "rep_a", "rep_a2", "rep_b"]


@pytest.mark.parametrize("who", ROLES)
def test_finance_sql_report_equals_the_python_reference(world, who):
    user = world[who]
    report = aging.aging_report(user=user, as_of=AS_OF)
    assert shape(report.company, report.reps, report.customers) == reference(user)
    page = aging.aging_page(user=user, as_of=AS_OF, offset=0, limit=50)
    assert shape(page.company, page.reps, page.rows) == reference(user)
    assert page.total == len(report.customers) and not page.has_next
    assert [r for chunk in aging.aging_rows(user=user, as_of=AS_OF, chunk_size=2) for r in chunk] == report.customers


@pytest.mark.parametrize("as_of", [AS_OF - timedelta(days=d) for d in (0, 1, 29, 30, 31, 61, 95, 400)] + [AS_OF + timedelta(days=40)])
def test_finance_sql_buckets_move_with_the_day_asked(world, as_of):
    report = aging.aging_report(user=world["finance"], as_of=as_of)
    assert shape(report.company, report.reps, report.customers) == reference(world["finance"], as_of)


def test_finance_sql_exact_figures(world):
    report = aging.aging_report(user=world["finance"], as_of=AS_OF)
    assert [(c, plain(b)) for c, b in report.company] == [
        ("CNY", (D("8.00"), D("301.00"), D("45.67"), D("9.00"), D("157.01"))),
        ("USD", (D("40.00"), D("0.00"), D("30.00"), D("15.00"), D("0.00"))),
    ]
    a, a2, b = world["customer_a"], world["customer_a2"], world["customer_b"]
    risk = {(r.customer_id, r.currency): r.is_at_risk for r in report.customers}
    assert risk == {(a.pk, "CNY"): True, (a2.pk, "USD"): True, (b.pk, "CNY"): True, (b.pk, "USD"): False,
                    (world["pool_customer"].pk, "CNY"): True}
    assert [(r.customer_id, r.currency) for r in report.customers][:2] == [(a.pk, "CNY"), (a2.pk, "USD")]


def test_finance_aging_pages_cover_every_row_once(world):
    for i in range(7):
        receivable(make_customer(world["rep_a"], f"分页{i}", f"PG{i:03d}"), f"{i + 1}.00", days_overdue=i)
    full = aging.aging_report(user=world["finance"], as_of=AS_OF).customers
    seen, offset = [], 0
    while True:
        page = aging.aging_page(user=world["finance"], as_of=AS_OF, offset=offset, limit=3)
        seen += page.rows
        assert page.total == len(full)
        if not page.has_next:
            break
        offset += 3
    assert [(r.customer_id, r.currency) for r in seen] == [(r.customer_id, r.currency) for r in full]


@pytest.mark.parametrize("who", ["finance", "director", "manager_a", "rep_a"])
def test_finance_aging_page_fixed_query_count(client, world, who, django_assert_max_num_queries):
    client = english_client(client, world[who])
    for i in range(70):
        customer = make_customer(world["rep_a"], f"客户{i}", f"AQ{i:04d}")
        receivable(customer, f"{i + 1}.00", days_overdue=i * 3)
        instalment(contract(f"KQ{i}", customer), 1, "5.00", days_overdue=i)
    with django_assert_max_num_queries(15):
        first = client.get(reverse("finance:aging"), {"as_of": AS_OF.isoformat()})
    with django_assert_max_num_queries(15):
        second = client.get(reverse("finance:aging"), {"as_of": AS_OF.isoformat(), "page": 2})
    assert first.status_code == second.status_code == 200
    body = first.content.decode()
    assert 'rel="next"' in body and "客户69" in body  # ¥70.00 overdue 207 days: first
    assert "客户0<" not in body and "客户0" in second.content.decode()


def test_finance_aging_page_shows_the_sums_of_all_rows_not_of_the_page(client, world):
    for i in range(60):
        receivable(make_customer(world["rep_a"], f"客户{i}", f"AT{i:04d}"), "1.00", days_overdue=100)
    body = english_client(client, world["finance"]).get(reverse("finance:aging"), {"as_of": AS_OF.isoformat()}).content.decode()
    assert "¥217.01" in body  # 157.01 + 60 × 1.00 more than 90 days overdue, in the company row


def _sheet_rows(response):
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


@pytest.mark.parametrize("who", ["finance", "rep_a"])
def test_finance_aging_export_has_every_row_of_the_reader(client, world, who, django_assert_max_num_queries):
    for i in range(70):
        receivable(make_customer(world["rep_a"], f"导出{i}", f"EX{i:04d}"), f"{i + 1}.00", days_overdue=i)
    report = aging.aging_report(user=world[who], as_of=AS_OF)
    client = english_client(client, world[who])
    with django_assert_max_num_queries(15):
        response = client.get(reverse("finance:aging-export"), {"as_of": AS_OF.isoformat()})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _sheet_rows(response)
    assert rows[0] == ("As of", "2026-06-30", *[None] * 10)
    assert rows[1][:5] == ("Code", "Customer", "Owner", "Currency", "Bad-debt risk")
    data = rows[2:]
    assert len(data) == len(report.customers) > 50  # not only the first page
    codes = dict(Customer.objects.values_list("pk", "code"))
    assert [(r[0], r[3]) for r in data] == [(codes[c.customer_id], c.currency) for c in report.customers]
    assert [tuple(D(str(v)).quantize(D("0.01")) for v in r[5:]) for r in data] == [
        (*plain(c.buckets), c.buckets.overdue, c.buckets.total) for c in report.customers]
    assert {r[4] for r in data if r[4]} == {"Bad-debt risk"}
    if who == "rep_a":
        assert world["customer_b"].code not in {r[0] for r in data}


def test_finance_aging_page_links_the_export(client, world):
    body = english_client(client, world["finance"]).get(reverse("finance:aging"), {"as_of": AS_OF.isoformat()}).content.decode()
    assert f'{reverse("finance:aging-export")}?as_of=2026-06-30' in body

"""The lead-sources report, second pass for speed (docs/performance.md "Lead sources (issues 12
and 13, second pass)"): revenue summed per customer before one join to the customers
(`kehu.sales.summaries.customer_revenue`), the referrers grouped by their raw columns and
ranked from light sums (the `top` by the sums, then every referrer tied with the last, in full).
The world is test_sources' (period 2026-Q2); the figures are exact."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from factories import CustomerFactory
from kehu.customers.models import Customer
from kehu.planning.periods import parse_period
from kehu.reports.filters import ReportFilter
from kehu.reports.selectors.sources import referrer_of, sources_report
from kehu.reports.tests.test_funnel import Q2, world  # noqa: F401  (the fixture)
from kehu.reports.tests.test_sources import report_for, sources_world  # noqa: F401  (the fixture)
from kehu.sales.summaries import customer_revenue, revenue_by

D = Decimal


def by_source(rows):
    out = {}
    for source, *_ref, cents in rows:
        out[source] = out.get(source, 0) + cents
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("first,last", [
    (date(2026, 4, 1), date(2026, 6, 30)),  # whole months only (the summary)
    (date(2026, 4, 27), date(2026, 5, 3)),  # a week: the lines only
    (date(2026, 4, 15), date(2026, 6, 10)),  # edges from the lines, May from the summary
    (date(2026, 1, 1), date(2026, 12, 31)),  # a year: c3's July order too
    (date(2026, 6, 2), date(2026, 6, 1)),  # empty
])
def test_customer_revenue_equals_the_line_sums_by_source(sources_world, first, last):
    expected = {r["customer__lead_source"]: int(r["revenue"] * 100)
                for r in revenue_by(first=first, last=last, group=("customer__lead_source",), live=False) if r["revenue"]}
    got = by_source(customer_revenue(first=first, last=last, columns=("lead_source", "referrer_customer_id", "referrer_contact_id",
                                                                      "referrer_agent")))
    assert {k: v for k, v in got.items() if v} == expected


@pytest.mark.django_db
def test_customer_revenue_by_referrer_columns_and_narrowed(sources_world):
    w = sources_world
    rows = customer_revenue(first=date(2026, 4, 1), last=date(2026, 6, 30),
                            columns=("lead_source", "referrer_customer_id", "referrer_contact_id", "referrer_agent"))
    assert sorted(((s, referrer_of(a, b, c), cents) for s, a, b, c, cents in rows), key=str) == sorted([
        ("referral", None, 15050), ("conference", ("customer", w["customer_b"].pk, ""), 20000),
        ("referral", ("agent", None, "王五"), 99999), ("internet", ("contact", w["contact"].pk, ""), 1000)], key=str)
    rep_b_only = customer_revenue(first=date(2026, 4, 1), last=date(2026, 6, 30), columns=("lead_source",),
                                  narrow=lambda qs, p: qs.filter(**{f"{p}owner": w["rep_b"]}))
    assert sorted(rep_b_only) == [("internet", 1000), ("referral", 99999)]


def test_referrer_of_follows_the_rule_customer_then_contact_then_agent():
    assert referrer_of(5, 7, "王五") == ("customer", 5, "")
    assert referrer_of(None, 7, "王五") == ("contact", 7, "")
    assert referrer_of(None, None, "王五") == ("agent", None, "王五")
    assert referrer_of(None, None, "") is None and referrer_of(None, None, None) is None


@pytest.mark.django_db
def test_referrers_tied_at_the_cut_are_ranked_in_full(sources_world):
    w = sources_world
    for agent in ("甲", "乙"):  # no revenue, one customer, no won deal: tied with c1 (who referred c3)
        CustomerFactory(owner=w["rep_b"], lead_source="referral", referrer_agent=agent)
    period = parse_period(Q2)

    def labels(top):
        report = sources_report(ReportFilter(reader=w["director"], period=period, today=date(2026, 6, 15)), top=top)
        return [(r.label, r.revenue, r.customers) for r in report.referrers], report.referrer_count

    head = [("代理人：王五", D("999.99"), 1), (w["customer_b"].name, D("200.00"), 1), ("联系人甲", D("10.00"), 1)]
    # ties (0.00, 1 customer, 0.00 won) by the key as text: ('agent', None, '乙') < ('agent', None, '甲') < ('customer', …)
    assert labels(4) == (head + [("代理人：乙", D("0.00"), 1)], 6)
    assert labels(5) == (head + [("代理人：乙", D("0.00"), 1), ("代理人：甲", D("0.00"), 1)], 6)
    assert labels(20) == (head + [("代理人：乙", D("0.00"), 1), ("代理人：甲", D("0.00"), 1), (w["c1"].name, D("0.00"), 1)], 6)
    assert labels(0) == ([], 6)


@pytest.mark.django_db
def test_the_page_and_export_answer_in_a_pinned_number_of_queries(sources_world, login, django_assert_max_num_queries):
    # session + user, the filter's lists, customers by source, won deals, revenue (one query),
    # referred customers, the ranked referrers' cells, 2 name look-ups (the world has referring customers and a contact), the
    # menu's badges; a manager one more (the team's reps)
    for name, page, export in (("director", 14, 10), ("manager_a", 14, 10), ("rep_a", 9, 8)):
        client = login(sources_world[name])
        with django_assert_max_num_queries(page, info=f"{name} page"):
            assert client.get(reverse("reports:sources"), {"period": Q2}).status_code == 200
        with django_assert_max_num_queries(export, info=f"{name} export"):
            assert client.get(reverse("reports:sources-export"), {"period": Q2}).status_code == 200


@pytest.mark.django_db
def test_dead_customers_leave_the_referrer_counts_and_revenue(sources_world):
    w = sources_world
    Customer.objects.filter(pk=w["c2"].pk).update(is_deleted=True)  # conference, referred by customer_b, 200.00
    report = report_for(w["director"])
    assert [(r.label, r.revenue) for r in report.referrers] == [("代理人：王五", D("999.99")), ("联系人甲", D("10.00")), (w["c1"].name, D("0.00"))]
    assert report.referrer_count == 3 and report.total.revenue == D("1160.49")

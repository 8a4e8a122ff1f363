"""The lead-sources report as read for speed (docs/performance.md "### Lead sources"): revenue by
source and by referrer in one pass over the monthly summary (the dead customers left out by their
ids), the customers' counts grouped by stage/tier/class cells, the referred customers from their
partial index. The figures are those of test_sources' world; here the cases that path must keep:
customers in the recycle bin or merged away, a period made only of edge days (the lines), and a
manager's and a rep's scope (grouped by owner)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.planning.periods import parse_period
from kehu.reports.filters import ReportFilter
from kehu.reports.selectors.funnel import funnel_report
from kehu.reports.selectors.sources import sources_report
from kehu.reports.tests.test_funnel import Q2, world  # noqa: F401  (the fixture)
from kehu.reports.tests.test_sources import report_for, rows_by_key, sources_world  # noqa: F401  (the fixture)

D = Decimal


def labels(report):
    return [(r.label, r.revenue, r.customers, r.won) for r in report.referrers]


@pytest.mark.django_db
def test_customers_in_the_recycle_bin_or_merged_away_bring_no_revenue(sources_world):
    w = sources_world
    before = report_for(w["director"])
    assert before.total.revenue == D("1360.49")
    Customer.objects.filter(pk=w["c4"].pk).update(is_deleted=True)  # referral, agent 王五, 999.99, won O3
    Customer.objects.filter(pk=w["c5"].pk).update(merged_into=w["c1"])  # internet, the contact's, 10.00
    report = report_for(w["director"])
    rows = rows_by_key(report.sources)
    assert (rows["referral"].revenue, rows["conference"].revenue, rows["internet"].revenue) == (D("150.50"), D("200.00"), D("0.00"))
    assert (report.total.revenue, report.total.won, report.total.won_amount) == (D("350.50"), 1, D("1000.00"))
    assert (rows["referral"].customers, rows["internet"].customers) == (1, 1)  # c4 in the bin; c5 still counted (not deleted)
    assert labels(report) == [(w["customer_b"].name, D("200.00"), 1, 0), ("联系人甲", D("0.00"), 1, 0), (w["c1"].name, D("0.00"), 1, 0)]
    assert report.referrer_count == 3


@pytest.mark.django_db
def test_a_week_is_read_from_the_lines_alone_with_the_same_rules(sources_world):
    w = sources_world
    week = parse_period("2026-W18")  # 04-27 .. 05-03: c2's order of 05-01 (200.00), no whole month
    report = sources_report(ReportFilter(reader=w["director"], period=week, today=date(2026, 6, 15)))
    assert [(r.key, r.revenue) for r in report.sources if r.revenue] == [("conference", D("200.00"))]
    assert [(r.label, r.revenue) for r in report.referrers if r.revenue] == [(w["customer_b"].name, D("200.00"))]
    Customer.objects.filter(pk=w["c2"].pk).update(is_deleted=True)
    report = sources_report(ReportFilter(reader=w["director"], period=week, today=date(2026, 6, 15)))
    assert report.total.revenue == D("0.00") and all(not r.revenue for r in report.referrers)


@pytest.mark.django_db
def test_a_managers_and_a_reps_counts_grouped_by_owner_add_up_as_the_directors(sources_world):
    w = sources_world
    director, manager, rep = report_for(w["director"]), report_for(w["manager_a"]), report_for(w["rep_a"])
    team_a = report_for(w["director"], team=w["rep_a"].team)
    for a, b in ((manager, team_a),):
        assert [(r.key, r.customers, r.acquired, r.signed, r.tier_counts, r.class_counts, r.revenue) for r in a.sources] == \
               [(r.key, r.customers, r.acquired, r.signed, r.tier_counts, r.class_counts, r.revenue) for r in b.sources]
    assert (rep.total.customers, rep.total.signed, rep.total.tier_counts) == (3, 1, [1, 0, 0, 0, 2])  # c1, c2, customer_a
    assert (director.total.customers, director.total.signed, director.total.top_tier, director.total.top_class) == (
        sum(r.customers for r in director.sources), 2, 2, 2)


@pytest.mark.django_db
def test_the_pages_answer_in_few_queries(sources_world, login, django_assert_max_num_queries):
    for name in ("director", "manager_a", "rep_a"):
        client = login(sources_world[name])
        with django_assert_max_num_queries(18):
            assert client.get(reverse("reports:sources"), {"period": Q2}).status_code == 200
        with django_assert_max_num_queries(20):
            assert client.get(reverse("reports:funnel"), {"period": Q2}).status_code == 200


@pytest.mark.django_db
def test_funnel_reached_and_velocity_from_one_read_of_the_changes(sources_world):
    w = sources_world
    report = funnel_report(ReportFilter(reader=w["director"], period=parse_period(Q2), today=date(2026, 6, 15)))
    # every stage reached counts an opportunity once, and a later stage never more than an earlier one
    reached = [r.reached for r in report.stages]
    assert reached == sorted(reached, reverse=True)
    assert all(r.stays == 0 or r.median_days is not None for r in report.stages)

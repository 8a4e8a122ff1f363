"""The lead-sources report (docs/rules.md "### Lead sources") on a small hand-made world, period
2026-Q2 (the world of test_funnel plus tiers, referrers and orders).

  c1 referral   rep_a   created 04-02  signed     important / diamond   referred by —
  c2 conference rep_a   created 04-02  prospect   —                     referred by customer_b (rep_b's)
  c3 conference rep_a2  created 01-10  signed     major / strategic     referred by c1
  c4 referral   rep_b   created 03-10  qualified  small / general       referred by agent 王五
  c5 internet   rep_b   created 05-02  prospect   —                     referred by 联系人甲 (a contact of c1)
Orders: c1 04-15 rep_a 100.00 + 50.50; c2 05-01 rep_a 200.00; c4 06-01 rep_b 999.99; c5 05-05 rep_b 10.00;
c3 07-01 rep_a2 5000.00 (after). Won: O1 (c1, 1000.00) and O3 (c4, 2000.01).
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from factories import ContactFactory
from kehu.customers.models import Customer
from kehu.planning.periods import parse_period
from kehu.reports.filters import ReportFilter
from kehu.reports.selectors.sources import sources_report
from kehu.reports.tests.test_funnel import Q2, at, world  # noqa: F401  (the fixture)
from kehu.sales.models import OrderLine, Product, SalesOrder
from kehu.sales.summaries import revenue_months_refresh

D = Decimal


@pytest.fixture
def sources_world(world):
    c1, c2, c3, c4, c5 = (world[k] for k in ("c1", "c2", "c3", "c4", "c5"))
    contact = ContactFactory(customer=c1, name="联系人甲")
    for c, created, tier, cls, ref in [
        (c1, at(4, 2), "important", "diamond", {}),
        (c2, at(4, 2), "", "", {"referrer_customer": world["customer_b"]}),
        (c3, timezone.make_aware(timezone.datetime(2026, 1, 10, 10)), "major", "strategic", {"referrer_customer": c1}),
        (c4, timezone.make_aware(timezone.datetime(2026, 3, 10, 10)), "small", "general", {"referrer_agent": "王五"}),
        (c5, at(5, 2), "", "", {"referrer_contact": contact}),
    ]:
        Customer.objects.filter(pk=c.pk).update(created_at=created, pyramid_tier=tier, value_class=cls, **ref)
    product = Product.objects.create(code="PX", name="X", list_price="1", unit_cost="0")
    for i, (customer, owner, day, revenues) in enumerate([
        (c1, world["rep_a"], date(2026, 4, 15), ["100.00", "50.50"]), (c2, world["rep_a"], date(2026, 5, 1), ["200.00"]),
        (c4, world["rep_b"], date(2026, 6, 1), ["999.99"]), (c5, world["rep_b"], date(2026, 5, 5), ["10.00"]),
        (c3, world["rep_a2"], date(2026, 7, 1), ["5000.00"]),
    ]):
        order = SalesOrder.objects.create(code=f"SO{i}", customer=customer, owner=owner, order_date=day)
        for r in revenues:
            OrderLine.objects.create(order=order, product=product, quantity="1", unit_price=r, unit_cost="0", revenue=r, cost="0")
    revenue_months_refresh(customer_ids=[c.pk for c in (c1, c2, c3, c4, c5)])  # written past order_create: the summary follows
    return {**world, "contact": contact}


def report_for(user, **kw):
    return sources_report(ReportFilter(reader=user, period=parse_period(Q2), today=date(2026, 6, 15), **kw))


def rows_by_key(rows):
    return {r.key: r for r in rows}


@pytest.mark.django_db
def test_director_sees_customers_won_revenue_conversion_and_tiers_by_source(sources_world):
    report = report_for(sources_world["director"])
    rows = rows_by_key(report.sources)
    ref, conf, net, none = rows["referral"], rows["conference"], rows["internet"], rows[""]
    assert (ref.customers, ref.acquired, ref.signed, ref.conversion) == (2, 1, 1, D("0.5000"))
    assert (ref.won, ref.won_amount, ref.revenue) == (2, D("3000.01"), D("1150.49"))
    assert (ref.top_tier, ref.top_class, ref.top_tier_share) == (1, 1, D("0.5000"))
    assert ref.tier_counts == [1, 0, 0, 1, 0] and ref.class_counts == [1, 0, 0, 1, 0, 0, 0, 0]
    assert (conf.customers, conf.acquired, conf.signed, conf.won, conf.revenue, conf.top_tier, conf.top_class) == (
        2, 1, 1, 0, D("200.00"), 1, 1)  # c3's July order is outside Q2
    assert (net.customers, net.acquired, net.revenue, net.conversion) == (1, 1, D("10.00"), D("0.0000"))
    assert (none.customers, none.acquired) == (3, 0)  # the cast's customer_a, customer_a2, customer_b
    t = report.total
    assert (t.customers, t.acquired, t.signed, t.won, t.won_amount, t.revenue) == (8, 3, 2, 2, D("3000.01"), D("1360.49"))


@pytest.mark.django_db
def test_director_sees_referrers_by_revenue_with_links(sources_world):
    w = sources_world
    report = report_for(w["director"])
    assert [(r.label, r.revenue, r.customers) for r in report.referrers] == [
        ("代理人：王五", D("999.99"), 1), (w["customer_b"].name, D("200.00"), 1), ("联系人甲", D("10.00"), 1), (w["c1"].name, D("0.00"), 1)]
    agent, cb, contact, c1 = report.referrers
    assert (agent.won, agent.won_amount, agent.url) == (1, D("2000.01"), "")
    assert cb.url == reverse("customers:detail", args=[w["customer_b"].pk])
    assert contact.url == reverse("customers:detail", args=[w["c1"].pk])  # the contact's customer
    assert (c1.signed, c1.top_tier, c1.top_class) == (1, 1, 1)  # c3, major / strategic
    assert report.referrer_count == 4
    assert len(report_for(w["director"]).referrers) == 4 and len(sources_report(
        ReportFilter(reader=w["director"], period=parse_period(Q2)), top=2).referrers) == 2


@pytest.mark.django_db
def test_rep_sees_only_own_figures_and_no_name_of_a_customer_they_may_not_open(sources_world, login):
    w = sources_world
    report = report_for(w["rep_a"])
    rows = rows_by_key(report.sources)
    assert set(rows) == {"referral", "conference", ""}  # c1, c2, customer_a
    assert (rows["referral"].revenue, rows["conference"].revenue, report.total.revenue) == (D("150.50"), D("200.00"), D("350.50"))
    assert (rows["referral"].won, report.total.won) == (1, 1)
    [ref] = report.referrers  # c2 referred by customer_b, whom rep_a may not open
    assert (ref.hidden, ref.url, ref.label, ref.revenue) == (True, "", "您无权查看的客户", D("200.00"))
    page = login(w["rep_a"]).get(reverse("reports:sources"), {"period": Q2}).content.decode()
    assert w["customer_b"].name not in page and "您无权查看的客户" in page
    manager = report_for(w["manager_a"])
    assert manager.total.customers == 5 and manager.total.revenue == D("350.50")  # team A: c1, c2, c3 + customer_a, a2


@pytest.mark.django_db
def test_filters_narrow_by_rep_team_and_source(sources_world):
    w = sources_world
    for kw in ({"rep": w["rep_b"]}, {"team": w["rep_b"].team}):
        report = report_for(w["director"], **kw)
        assert (report.total.customers, report.total.revenue, report.total.won_amount) == (3, D("1009.99"), D("2000.01"))
    report = report_for(w["director"], lead_source="referral")
    assert [r.key for r in report.sources] == ["referral"]
    assert report.total.revenue == D("1150.49")
    assert [r.label for r in report.referrers] == ["代理人：王五"]


@pytest.mark.django_db
def test_director_page_answers_in_a_fixed_number_of_queries(sources_world, login, django_assert_max_num_queries):
    client = login(sources_world["director"])
    with django_assert_max_num_queries(22):
        assert client.get(reverse("reports:sources"), {"period": Q2}).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("reports:sources"), {"period": "2026-Q1"}).status_code == 200


@pytest.mark.django_db
def test_every_role_gets_the_page_in_chinese_and_english(sources_world, login, login_en):
    for name in ("rep_a", "manager_a", "director", "finance", "admin"):
        assert login(sources_world[name]).get(reverse("reports:sources"), {"period": Q2}).status_code == 200, name
    page = login(sources_world["director"]).get(reverse("reports:sources"), {"period": Q2}).content.decode()
    assert "线索来源" in page and "¥1,150.49" in page and "代理人：王五" in page
    page = login_en(sources_world["director"]).get(reverse("reports:sources"), {"period": Q2}).content.decode()
    assert "Lead sources" in page and "Agent: 王五" in page and "Customer referral" in page


@pytest.mark.django_db
def test_bad_filter_values_give_a_translated_message_not_a_500(sources_world, login, login_en):
    response = login_en(sources_world["manager_a"]).get(reverse("reports:sources"), {"team": sources_world["rep_b"].team.pk, "period": "bad"})
    assert response.status_code == 200
    assert "There is no such team among yours" in response.content.decode()
    response = login(sources_world["director"]).get(reverse("reports:sources-export"), {"source": "nope"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_export_opens_with_openpyxl_and_has_the_rows(sources_world, login):
    import openpyxl

    response = login(sources_world["director"]).get(reverse("reports:sources-export"), {"period": Q2})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sources = list(book.worksheets[0].iter_rows(values_only=True))
    by_label = {r[0]: r for r in sources[1:]}
    assert by_label["老客户介绍"][1:4] == (2, 1, 1) and D(str(by_label["老客户介绍"][7])) == D("1150.49")
    assert D(str(by_label["合计"][7])) == D("1360.49")
    referrers = list(book.worksheets[1].iter_rows(values_only=True))
    assert [r[0] for r in referrers[1:]] == ["代理人：王五", sources_world["customer_b"].name, "联系人甲", sources_world["c1"].name]
    rep = openpyxl.load_workbook(io.BytesIO(login(sources_world["rep_a"]).get(reverse("reports:sources-export"), {"period": Q2}).content))
    assert [r[0] for r in list(rep.worksheets[1].iter_rows(values_only=True))[1:]] == ["您无权查看的客户"]

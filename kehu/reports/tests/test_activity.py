"""Rep activity and the leaderboard (docs/rules.md "### Rep activity and leaderboard"): every
column pinned on a small hand-made world of March 2026, the totals, the ranking and its ties,
the scope of each role, the pages in Chinese and English, the export, bad filters, the query count."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.customers.summaries import stage_months_rebuild
from kehu.planning.periods import parse_period
from kehu.reports.filters import ReportFilter
from kehu.reports.selectors.activity import ACTIVITY_QUERIES, leaderboard, missed_list, rep_activity
from kehu.sales.summaries import revenue_months_refresh

D = Decimal
URL = "/reports/activity/"
EXPORT = "/reports/activity/export/"


def at(y, m, d, hh=10, mm=0):
    return timezone.make_aware(datetime(y, m, d, hh, mm))


@pytest.fixture
def world(cast):
    """March 2026. rep_a: 2 new customers, 5 follow-ups (phone 1, visit 3: leadership 2 and
    technical 1, email 1), 2 missed, prospects 2, qualified 1, 1 quote, 2 deals won 15,000.00,
    revenue 1,200.50, target 10,000.00. rep_b: 1 new customer, 1 meeting, 1 deal won 15,000.00,
    revenue 800.00, collections 300.00, target 20,000.00. rep_a2: nothing, no target."""
    from kehu.activities.models import Activity
    from kehu.customers.models import Customer, CustomerStageChange
    from kehu.finance.models import Payment, PaymentAllocation, Receivable
    from kehu.planning.models import Target
    from kehu.sales.models import Opportunity, OpportunityStage, OrderLine, Product, Quote, SalesOrder
    from factories import CustomerFactory

    rep_a, rep_b, rep_a2 = cast["rep_a"], cast["rep_b"], cast["rep_a2"]
    ca, cb = cast["customer_a"], cast["customer_b"]

    def customer(owner, code, created, **extra):
        c = CustomerFactory(owner=owner, name=f"客户{code}", code=code, **extra)
        Customer.objects.filter(pk=c.pk).update(created_at=created)
        return c

    n1 = customer(rep_a, "N1", at(2026, 3, 2), lead_source="referral")
    customer(rep_a, "N2", at(2026, 3, 31, 23, 30))  # last minute of the period (local time)
    customer(rep_a, "N3", at(2026, 4, 1, 0, 10))  # the next day: out
    customer(rep_a, "N4", at(2026, 3, 5), is_deleted=True)  # recycle bin: counts for nobody
    customer(rep_b, "N5", at(2026, 3, 10))

    def act(kind, when, owner=rep_a, cust=ca, **extra):
        return logged(Activity.objects.create(customer=cust, owner=owner, kind=kind, status="done", at=when, **extra))

    act("phone", at(2026, 3, 3))
    act("visit", at(2026, 3, 4), visit_level="leadership")
    act("visit", at(2026, 3, 5), visit_level="technical")
    act("visit", at(2026, 3, 6), visit_level="leadership")
    act("wechat", at(2026, 2, 28))  # February: out
    email = act("email", at(2026, 3, 15))
    act("meeting", at(2026, 3, 8), owner=rep_b, cust=cb)

    def plan(due, status="planned", **extra):
        return Activity.objects.create(customer=ca, owner=rep_a, kind="phone", status=status, due_on=due, **extra)

    plan(date(2026, 3, 10))  # still open past its day: missed
    plan(date(2026, 3, 12), status="done", completed_by=email, closed_at=at(2026, 3, 15))  # done late: missed
    plan(date(2026, 3, 14), status="cancelled", closed_at=at(2026, 3, 14, 18), cancel_reason="x")  # cancelled on the day: not missed
    plan(date(2026, 3, 25))  # not due yet (today is 20 March)
    plan(date(2026, 2, 27))  # February: out

    def stage(cust, to, when):
        CustomerStageChange.objects.create(customer=cust, to_stage=to, at=when)

    stage(ca, "prospect", at(2026, 3, 2))
    stage(ca, "qualified", at(2026, 3, 9))
    stage(n1, "prospect", at(2026, 3, 3))
    stage(n1, "prospect", at(2026, 3, 20))  # the same customer again: counted once
    stage(cb, "qualified", at(2026, 2, 15))  # February: out

    q1 = Quote.objects.create(code="Q1", customer=ca, owner=rep_a)
    q2 = Quote.objects.create(code="Q2", customer=ca, owner=rep_a)
    Quote.objects.filter(pk=q1.pk).update(created_at=at(2026, 3, 7))
    Quote.objects.filter(pk=q2.pk).update(created_at=at(2026, 4, 2))

    won = OpportunityStage.objects.get(code="won")
    lost = OpportunityStage.objects.get(is_closed=True, is_won=False)
    first = OpportunityStage.objects.filter(is_closed=False).order_by("position").first()

    def opp(code, owner, cust, st, amount, closed=None, expected=None):
        Opportunity.objects.create(code=code, customer=cust, owner=owner, title=code, stage=st, amount=amount, closed_on=closed,
                                   expected_close_on=expected)

    opp("O1", rep_a, ca, won, "10000.00", date(2026, 3, 10))
    opp("O2", rep_a, ca, won, "5000.00", date(2026, 3, 20))
    opp("O3", rep_b, cb, won, "15000.00", date(2026, 3, 15))
    opp("O4", rep_a2, cast["customer_a2"], lost, "9999.00", date(2026, 3, 15))
    opp("O5", rep_a, ca, first, "7777.00", expected=date(2026, 3, 30))
    opp("O6", rep_a, ca, won, "1.00", date(2026, 4, 1))  # April: out

    product = Product.objects.create(code="PA", name="A", list_price="1", unit_cost="0")

    def order(owner, cust, day, revenue, code):
        o = SalesOrder.objects.create(code=code, customer=cust, owner=owner, order_date=day)
        OrderLine.objects.create(order=o, product=product, quantity="1", unit_price=revenue, unit_cost="0", revenue=revenue, cost="0")
        revenue_months_refresh(order_ids=[o.pk])  # written past the services: the summary by hand
        return o

    order(rep_a, ca, date(2026, 3, 5), "1000.00", "S1")
    order(rep_a, ca, date(2026, 3, 31), "200.50", "S2")
    order(rep_a, ca, date(2026, 4, 1), "50.00", "S3")
    ob = order(rep_b, cb, date(2026, 3, 31), "800.00", "S4")

    rec = Receivable.objects.create(customer=cb, order=ob, amount="800.00", open_amount="500.00", issued_on=date(2026, 3, 31), due_on=date(2026, 4, 30))
    pay = Payment.objects.create(code="P1", customer=cb, receivable=rec, paid_on=date(2026, 3, 20), amount="300.00")
    PaymentAllocation.objects.create(payment=pay, receivable=rec, amount="300.00")

    Target.objects.create(scope="user", user=rep_a, year=2026, amount="120000.00")
    Target.objects.create(scope="user", user=rep_b, year=2026, amount="240000.00")
    stage_months_rebuild()  # stage changes written past the services: the summary by hand
    return cast


def logged(activity):
    """A row written by hand keeps the follow-up summary as every write path does."""
    from kehu.activities.summaries import activity_months_refresh, cell_of

    activity_months_refresh(cells=[cell_of(activity)])
    return activity


def flt_for(reader, **kw):
    return ReportFilter(reader=reader, period=parse_period("2026-03"), today=date(2026, 3, 20), **kw)


def by_name(report):
    return {r.rep.username: r for r in report["rows"]}


@pytest.mark.django_db
def test_each_column_counts_exactly_what_the_rules_say(world):
    report = rep_activity(flt_for(world["director"]))
    rows = by_name(report)
    assert list(rows) == ["rep_a", "rep_a2", "rep_b"]
    a, a2, b = rows["rep_a"], rows["rep_a2"], rows["rep_b"]
    assert a.new_customers == 2 and b.new_customers == 1 and a2.new_customers == 0
    assert a.kinds == {"phone": 1, "visit": 3, "meeting": 0, "email": 1, "wechat": 0, "other": 0}
    assert a.followups == 5 and b.followups == 1 and b.kinds["meeting"] == 1
    assert a.levels == {"leadership": 2, "technical": 1, "business": 0}
    assert a.missed == 2 and b.missed == 0
    assert (a.prospects, a.qualified) == (2, 1) and (b.prospects, b.qualified) == (0, 0)
    assert a.quotes == 1
    assert (a.won_count, a.won_amount) == (2, D("15000.00")) and (b.won_count, b.won_amount) == (1, D("15000.00"))
    assert (a2.won_count, a2.won_amount) == (0, D("0.00"))
    assert a.revenue == D("1200.50") and b.revenue == D("800.00")
    assert a.collected == D("0.00") and b.collected == D("300.00")
    assert a.target_amount == D("10000.00") and a.attained == D("1.5000")
    assert b.target_amount == D("20000.00") and b.attained == D("0.7500")
    assert a2.target_amount is None and a2.attained is None
    t = report["totals"]
    assert (t.new_customers, t.followups, t.missed, t.prospects, t.qualified, t.quotes, t.won_count) == (3, 6, 2, 2, 1, 1, 3)
    assert (t.won_amount, t.revenue, t.collected, t.target_amount) == (D("30000.00"), D("2000.50"), D("300.00"), D("30000.00"))


@pytest.mark.django_db
def test_revenue_and_won_are_the_numbers_the_other_reports_use(world):
    from kehu.planning.selectors.targets import attainment_table
    from kehu.reports.selectors.anomalies import rep_month_revenue

    rows = by_name(rep_activity(flt_for(world["director"])))
    revenue = rep_month_revenue(first=date(2026, 3, 1), last=date(2026, 3, 31))
    assert rows["rep_a"].revenue == revenue[world["rep_a"].pk][(2026, 3)]
    table = attainment_table(user=world["director"], scope="team", team=world["rep_a"].team, period=parse_period("2026-03"), today=date(2026, 3, 20))
    assert {a.user.username: a.actual for a in table["reps"]}["rep_a"] == rows["rep_a"].won_amount
    collections = attainment_table(user=world["director"], scope="team", team=world["rep_b"].team, period=parse_period("2026-03"),
                                   measure="collections", today=date(2026, 3, 20))
    assert {a.user.username: a.actual for a in collections["reps"]}["rep_b"] == rows["rep_b"].collected


@pytest.mark.django_db
def test_the_lead_source_narrows_every_column_to_its_customers(world):
    rows = by_name(rep_activity(flt_for(world["director"], lead_source="referral")))
    a = rows["rep_a"]
    assert (a.new_customers, a.prospects, a.followups, a.won_count, a.revenue) == (1, 1, 0, 0, D("0.00"))


@pytest.mark.django_db
def test_followups_count_whatever_became_of_the_customer(world):
    """docs/rules.md "### The follow-up summary": a follow-up is the rep's work — a customer in
    the recycle bin or merged away still counts in follow-ups by type and visits by level (and
    nowhere else in the report), with or without a lead source; the summary and the rows agree."""
    from kehu.activities.models import Activity
    from factories import CustomerFactory

    rep_b = world["rep_b"]
    gone = CustomerFactory(owner=rep_b, name="回收站客户", code="G1", is_deleted=True, lead_source="referral")
    kept = CustomerFactory(owner=rep_b, name="保留客户", code="G2")
    merged = CustomerFactory(owner=rep_b, name="被合并客户", code="G3", merged_into=kept, is_deleted=True, lead_source="referral")
    logged(Activity.objects.create(customer=gone, owner=rep_b, kind="visit", visit_level="business", status="done", at=at(2026, 3, 1, 8)))
    logged(Activity.objects.create(customer=merged, owner=rep_b, kind="phone", status="done", at=at(2026, 3, 31, 23, 30)))
    b = by_name(rep_activity(flt_for(world["director"])))["rep_b"]
    assert (b.followups, b.kinds["meeting"], b.kinds["visit"], b.kinds["phone"], b.levels["business"]) == (3, 1, 1, 1, 1)
    assert b.new_customers == 1  # the gone customers count for nobody in the other columns
    referral = by_name(rep_activity(flt_for(world["director"], lead_source="referral")))["rep_b"]
    assert (referral.followups, referral.kinds["visit"], referral.kinds["phone"]) == (2, 1, 1)
    # periods of part of a month (the rows) count the same follow-ups as whole months (the summary)
    from kehu.planning.periods import Period

    for start, end, expected in [(date(2026, 3, 1), date(2026, 3, 8), 2), (date(2026, 3, 9), date(2026, 3, 31), 1),
                                 (date(2026, 2, 15), date(2026, 4, 2), 3), (date(2026, 1, 1), date(2026, 3, 31), 3)]:
        part = ReportFilter(reader=world["director"], period=Period(start, end, "week", "x"), today=date(2026, 3, 20))
        assert by_name(rep_activity(part))["rep_b"].followups == expected, (start, end)


@pytest.mark.django_db
def test_leaderboard_ranks_by_the_measure_and_breaks_ties_by_username(world):
    rows = rep_activity(flt_for(world["director"]))["rows"]
    # rep_a and rep_b both won 15,000.00: the username decides
    assert [(r.rank, r.rep.username) for r in leaderboard(list(rows), "won")] == [(1, "rep_a"), (2, "rep_b"), (3, "rep_a2")]
    assert [r.rep.username for r in leaderboard(list(rows), "revenue")] == ["rep_a", "rep_b", "rep_a2"]
    assert [r.rep.username for r in leaderboard(list(rows), "collections")] == ["rep_b", "rep_a", "rep_a2"]
    assert [r.rep.username for r in leaderboard(list(rows), "followups")] == ["rep_a", "rep_b", "rep_a2"]
    # no target: after everyone with one
    assert [r.rep.username for r in leaderboard(list(rows), "attainment")] == ["rep_a", "rep_b", "rep_a2"]


@pytest.mark.django_db
def test_the_missed_list_is_the_counted_ones(world):
    listed = missed_list(flt_for(world["director"]), world["rep_a"])
    assert listed["count"] == 2
    assert [a.due_on for a in listed["rows"]] == [date(2026, 3, 10), date(2026, 3, 12)]


@pytest.mark.django_db
@pytest.mark.parametrize("who, expected", [
    ("rep_a", ["rep_a"]),
    ("manager_a", ["rep_a", "rep_a2"]),
    ("director", ["rep_a", "rep_a2", "rep_b"]),
    ("finance", ["rep_a", "rep_a2", "rep_b"]),
    ("admin", ["rep_a", "rep_a2", "rep_b"]),
])
def test_each_role_sees_its_scope(world, login, who, expected):
    response = login(world[who]).get(URL, {"period": "2026-03"})
    assert response.status_code == 200
    shown = [r.rep.username for r in response.context["rows"]]
    assert shown == expected
    assert [r.rep.username for r in response.context["ranked"]] == [u for u in ["rep_a", "rep_b", "rep_a2"] if u in expected]


@pytest.mark.django_db
def test_page_in_chinese_and_english(world, login, login_en):
    body = login(world["director"]).get(URL, {"period": "2026-03"}).content.decode()
    assert "排行榜" in body and "¥15,000.00" in body and 'data-testid="activity-totals"' in body
    body = login_en(world["director"]).get(URL, {"period": "2026-03", "rank": "revenue"}).content.decode()
    assert "Leaderboard" in body and "Planned follow-ups missed" in body and "¥1,200.50" in body
    assert '<input type="hidden" name="rank" value="revenue">' in body  # the filter bar keeps the measure
    assert '<script>' not in body.replace('<script id="chart-leaderboard" type="application/json">', "")


@pytest.mark.django_db
def test_missed_drilldown_on_the_page(world, login_en):
    client = login_en(world["manager_a"])
    response = client.get(URL, {"period": "2026-03", "missed": world["rep_a"].pk})
    assert response.status_code == 200 and response.context["missed"]["count"] == 3  # today is after 25 March
    assert [a.due_on.day for a in response.context["missed"]["rows"]] == [10, 12, 25]
    # another team's rep: a message, not their list
    response = client.get(URL, {"period": "2026-03", "missed": world["rep_b"].pk})
    assert response.context["missed"] is None and "There is no such rep among yours" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("params, message", [
    ({"rank": "bogus"}, "Unknown ranking measure"),
    ({"period": "2026-13"}, ""),
    ({"team": "999999"}, "There is no such team"),
    ({"rep": "abc"}, ""),
    ({"source": "nope"}, "Unknown lead source"),
])
def test_bad_filters_give_a_message_not_a_500(world, login_en, params, message):
    response = login_en(world["director"]).get(URL, params)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="filter-problem"' in body and message in body
    assert login_en(world["director"]).get(EXPORT, params).status_code == 200


@pytest.mark.django_db
def test_bad_rank_is_translated(world, login):
    body = login(world["director"]).get(URL, {"rank": "bogus"}).content.decode()
    assert "未知的排名指标" in body


@pytest.mark.django_db
def test_export_has_the_pages_rows(world, login_en):
    response = login_en(world["manager_a"]).get(EXPORT, {"period": "2026-03", "rank": "followups"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert [r[0] for r in rows[1:]] == ["rep_a", "rep_a2", "Total"]
    rep_a = dict(zip(header, rows[1]))
    # today (the real one) is long after March: the follow-up due on 25 March is missed too
    assert rep_a["New customers"] == 2 and rep_a["Follow-ups"] == 5 and rep_a["Planned follow-ups missed"] == 3
    assert D(str(rep_a["Won amount"])) == D("15000.00") and D(str(rep_a["Revenue"])) == D("1200.50")
    board = list(book.worksheets[1].iter_rows(values_only=True))
    assert [r[:2] for r in board[1:]] == [(1, "rep_a"), (2, "rep_a2")]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_reps(world, login, django_assert_max_num_queries):
    from factories import UserFactory

    client = login(world["director"])
    client.get(URL, {"period": "2026-03"})
    for i in range(15):
        UserFactory(username=f"extra{i}", role="rep", team=world["rep_a"].team, name=f"extra{i}")
    with django_assert_max_num_queries(30):
        assert client.get(URL, {"period": "2026-03"}).status_code == 200
    flt = flt_for(world["director"])
    with django_assert_max_num_queries(ACTIVITY_QUERIES):  # 10: a GROUP BY per source table (three in one UNION ALL), 2 for the follow-ups
        rep_activity(flt)


@pytest.mark.django_db
def test_a_user_without_a_role_gets_404(world, login):
    from factories import UserFactory

    nobody = UserFactory(username="nobody", role="", name="nobody")
    assert login(nobody).get(URL).status_code == 404
    assert reverse("reports:activity") == URL


@pytest.mark.django_db
def test_gone_customers_count_for_nobody_without_a_join(world):
    """New customers, prospects / qualified, missed and quotes leave out the customers in the
    recycle bin and the merged-away ones (merged, not deleted too) — read by a NOT IN of those
    rows, not a join (docs/rules.md "### Rep activity and What it takes: how they are read")."""
    from factories import CustomerFactory
    from kehu.activities.models import Activity
    from kehu.customers.models import Customer, CustomerStageChange
    from kehu.sales.models import Quote

    rep_b = world["rep_b"]

    def columns():
        b = by_name(rep_activity(flt_for(world["director"])))["rep_b"]
        return (b.new_customers, b.prospects, b.qualified, b.missed, b.quotes)

    before = columns()
    kept = CustomerFactory(owner=rep_b, name="保留", code="K9")
    Customer.objects.filter(pk=kept.pk).update(created_at=at(2025, 1, 1))
    gone = [CustomerFactory(owner=rep_b, name="回收", code="D9", is_deleted=True),
            CustomerFactory(owner=rep_b, name="合并", code="M9", merged_into=kept),
            CustomerFactory(owner=rep_b, name="活的", code="L9")]
    for i, c in enumerate(gone):
        Customer.objects.filter(pk=c.pk).update(created_at=at(2026, 3, 3))
        CustomerStageChange.objects.create(customer=c, to_stage="prospect", at=at(2026, 3, 4))
        CustomerStageChange.objects.create(customer=c, to_stage="qualified", at=at(2026, 3, 5))
        Activity.objects.create(customer=c, owner=rep_b, kind="phone", status="planned", due_on=date(2026, 3, 6))
        q = Quote.objects.create(code=f"QG{i}", customer=c, owner=rep_b)
        Quote.objects.filter(pk=q.pk).update(created_at=at(2026, 3, 7))
    stage_months_rebuild()  # written past the services: the summary by hand
    # only the living one counts, in every column
    assert columns() == tuple(n + 1 for n in before)

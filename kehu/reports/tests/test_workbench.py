"""The 工作台 (issue 12): each role's cards filled from a small hand-made world, numbers exact;
a rep never sees another rep's items; a fixed number of queries; login lands on it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from conftest import make_customer
from kehu.activities.models import Activity, Notification
from kehu.core.dates import add_months
from kehu.finance.models import CreditEvent, Instalment, Payment, Receivable
from kehu.planning.models import ForecastSubmission, Target
from kehu.planning.periods import period_of
from kehu.sales.models import Contract, Opportunity, OpportunityStage, OrderLine, Product, Quote, SalesOrder
from kehu.sales.summaries import revenue_months_refresh

D = Decimal
WORKBENCH = reverse("reports:workbench")


def planned(customer, owner, due_on):
    return Activity.objects.create(customer=customer, owner=owner, status="planned", due_on=due_on, kind="phone")


def opportunity(code, customer, owner, stage, amount, *, close=None, closed=None):
    return Opportunity.objects.create(code=code, customer=customer, owner=owner, title=f"Deal {code}", stage=OpportunityStage.objects.get(code=stage),
                                      amount=D(amount), expected_close_on=close, closed_on=closed)


def order(code, customer, owner, day, revenue, *, status=SalesOrder.Status.CONFIRMED):
    product, _ = Product.objects.get_or_create(code="PWB", defaults={"name": "WB", "list_price": D("1"), "unit_cost": D("0")})
    o = SalesOrder.objects.create(code=code, customer=customer, owner=owner, order_date=day, status=status)
    OrderLine.objects.create(order=o, product=product, quantity=D("1"), unit_price=D(revenue), unit_cost=D("0"), revenue=D(revenue), cost=D("0"))
    revenue_months_refresh(order_ids=[o.pk])  # written past the services: the summary by hand
    return o


@pytest.fixture
def world(cast):
    """rep_a and rep_a2 (team A, manager_a), rep_b (team B); today's date decides every period."""
    now = timezone.now()
    today = timezone.localdate(now)
    rep_a, rep_a2, rep_b = cast["rep_a"], cast["rep_a2"], cast["rep_b"]
    a, a2, b = cast["customer_a"], cast["customer_a2"], cast["customer_b"]
    # follow-ups: rep_a one overdue, one today, one later; rep_a2 one overdue; rep_b one today
    planned(a, rep_a, today - timedelta(days=2))
    planned(a, rep_a, today)
    planned(a, rep_a, today + timedelta(days=3))
    planned(a2, rep_a2, today - timedelta(days=1))
    planned(b, rep_b, today)
    # a customer of rep_a idle for 85 of the 90 days: returns to the pool in 5 days
    idle = make_customer(rep_a, "闲置贸易有限公司", "C00010")
    type(idle).objects.filter(pk=idle.pk).update(pool_clock_at=now - timedelta(days=85))
    # targets: rep_a 120,000 a year (10,000 a month), the company 240,000
    Target.objects.create(scope=Target.Scope.USER, user=rep_a, year=today.year, amount=D("120000.00"))
    Target.objects.create(scope=Target.Scope.COMPANY, year=today.year, amount=D("240000.00"))
    # opportunities
    opportunity("O1", a, rep_a, "won", "2500.00", close=today, closed=today)
    opportunity("O2", a, rep_a, "proposal", "8000.00", close=today)
    opportunity("O3", a, rep_a, "negotiation", "4000.00", close=today)
    opportunity("O4", a2, rep_a2, "won", "6000.00", close=today, closed=today)
    opportunity("O5", b, rep_b, "proposal", "9999.00", close=today)
    # this week's forecast: rep_a2 submitted (commit 3,000 for the month), rep_a and rep_b not
    month = period_of("month", today)
    ForecastSubmission.objects.create(user=rep_a2, period=month.label, period_start=month.start, period_end=month.end,
                                      submitted_on=today, commit=D("3000.00"))
    # quotes: rep_a's approved yesterday, rejected 10 days ago; rep_b's approved; rep_a2's pending
    Quote.objects.create(code="QA1", customer=a, owner=rep_a, status=Quote.Status.APPROVED, decided_at=now - timedelta(days=1), total=D("100.00"))
    Quote.objects.create(code="QA2", customer=a, owner=rep_a, status=Quote.Status.REJECTED, decided_at=now - timedelta(days=10), total=D("100.00"))
    Quote.objects.create(code="QB1", customer=b, owner=rep_b, status=Quote.Status.APPROVED, decided_at=now - timedelta(days=1), total=D("100.00"))
    Quote.objects.create(code="QP1", customer=a2, owner=rep_a2, submitted_by=rep_a2, submitted_at=now, status=Quote.Status.PENDING, total=D("700.00"))
    # orders: rep_a's SO1 held, SO2 released; rep_b's SO3 held
    so1 = order("SO1", a, rep_a, today, "1000.00", status=SalesOrder.Status.BLOCKED)
    so2 = order("SO2", a, rep_a, today, "500.00")
    so3 = order("SO3", b, rep_b, today, "300.00", status=SalesOrder.Status.BLOCKED)
    CreditEvent.objects.create(order=so1, kind=CreditEvent.Kind.BLOCK)
    CreditEvent.objects.create(order=so2, kind=CreditEvent.Kind.BLOCK)
    CreditEvent.objects.create(order=so2, kind=CreditEvent.Kind.RELEASE, reason="ok")
    CreditEvent.objects.create(order=so3, kind=CreditEvent.Kind.BLOCK)
    # revenue anomaly: rep_a sold 1,000 in each of the 6 months before last month, 100 last month
    last_month = add_months(today.replace(day=1), -1)
    for k in range(1, 7):
        order(f"H{k}", a, rep_a, add_months(last_month, -k), "1000.00")
    order("H0", a, rep_a, last_month, "100.00")
    Notification.objects.create(user=cast["manager_a"], kind=Notification.Kind.ANOMALY, fact_key="anomaly-test", params={})
    # receivables and instalments: current 1,000 (due in 3 days), 0–30: 700, 31–60: 500
    Receivable.objects.create(customer=a, amount=D("1000.00"), open_amount=D("1000.00"), issued_on=today, due_on=today + timedelta(days=3))
    Receivable.objects.create(customer=b, amount=D("500.00"), open_amount=D("500.00"), issued_on=today - timedelta(days=70), due_on=today - timedelta(days=40))
    contract = Contract.objects.create(code="K1", customer=a2, owner=rep_a2, signed_on=today - timedelta(days=30), amount=D("3700.00"))
    Instalment.objects.create(contract=contract, seq=1, due_on=today - timedelta(days=10), amount=D("700.00"))
    Instalment.objects.create(contract=contract, seq=2, due_on=today + timedelta(days=2), amount=D("3000.00"), applied=D("1000.00"))
    # a payment with 300 left on account (rep_b's customer)
    Payment.objects.create(code="PAY1", customer=b, paid_on=today, amount=D("800.00"), on_account=D("300.00"))
    return {**cast, "today": today, "idle": idle}


def _wb(client):
    response = client.get(WORKBENCH)
    assert response.status_code == 200
    return response, response.context["wb"]


def test_rep_sees_their_cards_with_exact_numbers(world, login_en):
    response, wb = _wb(login_en(world["rep_a"]))
    rep = wb["rep"]
    assert wb["manager"] is None and wb["director"] is None and wb["finance"] is None
    assert (rep["followups"]["n_overdue"], rep["followups"]["n_today"]) == (1, 1)
    assert [r.due_on for r in rep["followups"]["rows"]] == [world["today"] - timedelta(days=2), world["today"]]
    assert [c.code for c in rep["returning"]["rows"]] == ["C00010"]
    assert rep["returning"]["rows"][0].return_on == world["today"] + timedelta(days=5)
    month, quarter = (row["a"] for row in rep["attainment"])
    assert (month.target, month.actual, month.attained) == (D("10000.00"), D("2500.00"), D("0.2500"))
    assert (quarter.target, quarter.actual, quarter.attained) == (D("30000.00"), D("2500.00"), D("0.0833"))
    assert rep["forecast"]["status"].state == "missing"
    stages = {s["stage"].code: (s["count"], s["amount"]) for s in rep["pipeline"]}
    assert stages == {"first_contact": (0, D("0.00")), "needs_confirmed": (0, D("0.00")), "proposal": (1, D("8000.00")),
                      "negotiation": (1, D("4000.00"))}
    changes = {(c["kind"], c["what"], c["obj"].code) for c in rep["changes"]}
    assert changes == {("quote", "approved", "QA1"), ("order", "block", "SO1"), ("order", "block", "SO2"), ("order", "release", "SO2")}
    html = response.content.decode()
    for text in ("Follow-ups due", "Returning to the pool soon", "My target attainment", "This week's forecast",
                 "My pipeline", "Quote QA1 approved", "Order SO1 held by credit control", "Order SO2 released", "25.00%", "¥8,000.00"):
        assert text in html, text
    for link in (reverse("activities:agenda"), reverse("planning:attainment"), reverse("planning:forecast"), reverse("sales:pipeline"),
                 reverse("customers:detail", args=[world["idle"].pk]), reverse("sales:quote-detail", args=[Quote.objects.get(code="QA1").pk])):
        assert f'href="{link}' in html, link


def test_rep_never_sees_another_reps_items(world, login_en):
    response, wb = _wb(login_en(world["rep_a"]))
    html = response.content.decode()
    for foreign in ("信疗医疗器械有限公司", "QB1", "SO3", "9,999.00", "远设建材有限公司", "QP1"):
        assert foreign not in html, foreign
    response, wb = _wb(login_en(world["rep_b"]))
    html = response.content.decode()
    assert wb["rep"]["followups"]["n_today"] == 1 and wb["rep"]["followups"]["n_overdue"] == 0
    assert {(c["kind"], c["obj"].code) for c in wb["rep"]["changes"]} == {("quote", "QB1"), ("order", "SO3")}
    for foreign in ("华为技术有限公司", "QA1", "SO1", "SO2", "闲置贸易有限公司"):
        assert foreign not in html, foreign


def test_manager_sees_their_teams_cards(world, login_en):
    response, wb = _wb(login_en(world["manager_a"]))
    m = wb["manager"]
    assert wb["rep"] is None and wb["director"] is None
    assert m["approvals"]["count"] == 1 and [q.code for q in m["approvals"]["rows"]] == ["QP1"]
    rows = {a.user.username: (a.target, a.actual, a.attained, a.gap) for a in m["attainments"]}
    assert rows == {"rep_a": (D("10000.00"), D("2500.00"), D("0.2500"), D("7500.00")), "rep_a2": (None, D("6000.00"), None, None)}
    assert [r.username for r in m["missing"]] == ["rep_a"]
    assert [a.user.username for a in m["leaderboard"]] == ["rep_a2", "rep_a"]
    lifecycle = {s["stage"]: s["count"] for s in m["funnel"]["lifecycle"]}
    assert sum(lifecycle.values()) == 3  # customer_a, customer_a2, the idle one; not rep_b's, not the pool's
    assert {s["stage"].code: s["count"] for s in m["funnel"]["opportunities"]} == {
        "first_contact": 0, "needs_confirmed": 0, "proposal": 1, "negotiation": 1}
    assert {x["rep"].username: x["count"] for x in m["missed"]} == {"rep_a": 1, "rep_a2": 1}
    # the anomalies load after the page (reports:workbench-anomalies): the same card
    card = login_en(world["manager_a"]).get(reverse("reports:workbench-anomalies"), HTTP_HX_REQUEST="true")
    an = card.context["card"]["anomalies"]
    alerts = [(row["rep"].username, row["anomaly"].revenue, row["anomaly"].median) for row in an["alerts"]]
    assert alerts == [("rep_a", D("100.00"), D("1000.00"))]
    assert len(an["unread"]) == 1
    html = response.content.decode()
    for text in ("Approvals waiting", "¥7,500.00", "Forecast not submitted this week", "The team's funnel", "Missed follow-ups",
                 "Leaderboard"):
        assert text in html, text
    for text in ("rep_a: usually ~¥1,000.00 a month, ", " ¥100.00 (10.00% of usual)"):
        assert text in card.content.decode(), text
    assert f'href="{reverse("sales:quote-approvals")}"' in html and f'href="{reverse("activities:team")}"' in html
    for foreign in ("rep_b", "信疗医疗器械有限公司", "QB1", "SO3"):
        assert foreign not in html, foreign


def test_director_sees_the_company(world, login_en):
    response, wb = _wb(login_en(world["admin"]))
    d = wb["director"]
    assert wb["manager"] is None and wb["rep"] is None
    month, quarter = d["reviews"]
    assert (month.goal, month.won, month.adjusted_commit, month.gap) == (D("20000.00"), D("8500.00"), D("3000.00"), D("8500.00"))
    assert (month.open_weighted, month.coverage) == (D("11999.50"), D("1.0434"))
    assert (quarter.goal, quarter.won, quarter.adjusted_commit, quarter.gap) == (D("60000.00"), D("8500.00"), D("0.00"), D("51500.00"))
    assert quarter.coverage == D("0.2330")
    assert d["pyramid"] is None
    (currency, b), = d["aging"].currencies
    assert (currency, b.current, b.d0_30, b.d31_60, b.overdue) == ("CNY", D("1000.00"), D("700.00"), D("500.00"), D("1200.00"))
    assert d["holds"]["count"] == 2
    card = login_en(world["admin"]).get(reverse("reports:workbench-anomalies"), HTTP_HX_REQUEST="true")
    assert card.context["card"]["part"] == "director"
    assert [row["rep"].username for row in card.context["card"]["anomalies"]["alerts"]] == ["rep_a"]
    html = response.content.decode()
    for text in ("Company: target, won, commit", "¥51,500.00", "104.34%", "No pyramid run yet.", "2 orders held by credit control",
                 "¥1,200.00 of receivables overdue"):
        assert text in html, text
    for name in ("planning:review", "ranking:pyramid", "finance:aging", "finance:credit-holds"):
        assert f'href="{reverse(name)}' in html, name


def test_finance_sees_holds_aging_collections_and_unapplied_payments(world, login_en):
    response, wb = _wb(login_en(world["finance"]))
    f = wb["finance"]
    assert wb["rep"] is None and wb["manager"] is None and wb["director"] is None
    assert f["holds"]["count"] == 2 and {o.code for o in f["holds"]["rows"]} == {"SO1", "SO3"}
    assert {o.code: o.total for o in f["holds"]["rows"]} == {"SO1": D("1000.00"), "SO3": D("300.00")}
    (currency, b), = f["aging"].currencies
    assert b.overdue == D("1200.00") and b.total == D("2200.00")
    (currency, due), = f["due"]["currencies"]
    assert (currency, due["amount"], due["count"]) == ("CNY", D("3000.00"), 2)
    assert f["unapplied"] == [{"currency": "CNY", "count": 1, "amount": D("300.00")}]
    html = response.content.decode()
    for text in ("Credit holds", "Receivables aging", "¥3,000.00 in 2 items", "¥300.00 on account in 1 payment"):
        assert text in html, text
    assert f'href="{reverse("finance:payment-list")}"' in html and 'data-testid="quick-create"' not in html


def test_an_admin_who_manages_a_team_sees_both_parts(world, login_en, team_a):
    boss = world["admin"]
    boss.role = "manager"
    boss.save(update_fields=["role"])
    team_a.managers.add(boss)
    response, wb = _wb(login_en(boss))
    assert wb["manager"] is not None and wb["director"] is not None
    assert wb["director"]["anomalies"] is None  # shown once, in the manager's card
    assert response.content.decode().count('data-testid="wb-anomalies"') == 1


def test_a_user_without_a_role_gets_links(db, login_en):
    from factories import UserFactory

    nobody = UserFactory(username="nobody", role="")
    response = login_en(nobody).get(WORKBENCH)
    assert response.status_code == 200 and 'data-testid="wb-links"' in response.content.decode()


def test_pages_in_chinese(world, login):
    for who, text in (("rep_a", "我的跟进"), ("manager_a", "待审批"), ("admin", "应收账款账龄"), ("finance", "未核销回款")):
        html = login(world[who]).get(WORKBENCH).content.decode()
        assert text in html, (who, text)


@pytest.mark.parametrize("who, limit", [("rep_a", 25), ("manager_a", 25), ("director", 23), ("admin", 23), ("finance", 15)])
def test_query_count_is_fixed(world, login, who, limit, django_assert_max_num_queries):
    client = login(world[who])
    client.get(WORKBENCH)  # the settings rows are made once
    with django_assert_max_num_queries(limit):
        assert client.get(WORKBENCH).status_code == 200
    # more rows of every kind: the same number of queries
    today = world["today"]
    for i in range(5):
        planned(world["customer_a"], world["rep_a"], today - timedelta(days=i + 3))
        planned(world["customer_a2"], world["rep_a2"], today - timedelta(days=i + 3))
        opportunity(f"OX{i}", world["customer_a"], world["rep_a"], "proposal", "10.00", close=today)
        Quote.objects.create(code=f"QX{i}", customer=world["customer_a2"], owner=world["rep_a2"], submitted_by=world["rep_a2"],
                             status=Quote.Status.PENDING, total=D("1.00"))
    with django_assert_max_num_queries(limit):
        assert client.get(WORKBENCH).status_code == 200


def test_login_lands_on_the_workbench(client, rep_a):
    from factories import PASSWORD

    response = client.post(reverse("accounts:login"), {"username": "rep_a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == WORKBENCH == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.get("/")["Location"] == WORKBENCH


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(WORKBENCH)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_quick_create_shows_only_what_the_role_may_do(world, login_en):
    html = login_en(world["rep_a"]).get(WORKBENCH).content.decode()
    for item in ("quick-customer", "quick-opportunity", "quick-followup"):
        assert f'data-testid="{item}"' in html
    assert f'href="{reverse("customers:create")}"' in html and f'href="{reverse("sales:opportunity-create")}"' in html
    assert 'data-testid="quick-create"' not in login_en(world["finance"]).get(WORKBENCH).content.decode()


def test_dates_are_today_in_the_company_time_zone(world):
    assert world["today"] == timezone.localdate() and isinstance(world["today"], date)



def test_director_pyramid_card_counts_the_latest_runs_classes(world, login_en):
    from kehu.ranking.models import EvaluationResult, EvaluationRun

    old = EvaluationRun.objects.create(model="pyramid", as_of=date(2025, 12, 31), result_count=1)
    EvaluationResult.objects.create(run=old, customer=world["customer_a"], position=1, klass="important")
    run = EvaluationRun.objects.create(model="pyramid", as_of=date(2026, 6, 30), result_count=3)
    for i, (customer, klass) in enumerate([("customer_a", "important"), ("customer_a2", "important"), ("customer_b", "ordinary")], 1):
        EvaluationResult.objects.create(run=run, customer=world[customer], position=i, klass=klass)
    response, wb = _wb(login_en(world["admin"]))
    pyramid = wb["director"]["pyramid"]
    assert pyramid["run"] == run and pyramid["table"]["count"] == 3
    counts = {row["klass"]: (row["count"], row["count_share"]) for row in pyramid["table"]["rows"] if row["count"]}
    assert counts == {"important": (2, D("0.6667")), "ordinary": (1, D("0.3333"))}
    html = response.content.decode()
    assert "Run as of 2026-06-30" in html and "66.67%" in html

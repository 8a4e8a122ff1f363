"""The reports' remaining figures in the API (issue 14, apirest): anomalies, buying factors, what
it takes and the Friday review with its waterfall — exact numbers on small hand-made worlds, the
page's scope per role, validated parameters (400 naming the parameter, translated), 403/404 as the
page. The figures come from the pages' selectors; these tests pin that the API shows them whole."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.sales.summaries import revenue_months_refresh

pytestmark = pytest.mark.django_db
D = Decimal


def _get(api, user, url, params=None):
    response = api(user).get(url, params or {})
    return response.status_code, response.json()


# --- anomalies ---------------------------------------------------------------------------------

ANOMALIES = "/api/reports/anomalies/"


def _order(customer, owner, day, revenue, code):
    from kehu.sales.models import OrderLine, Product, SalesOrder

    product = Product.objects.get_or_create(code="PA", defaults={"name": "A", "list_price": "1", "unit_cost": "0"})[0]
    order = SalesOrder.objects.create(code=code, customer=customer, owner=owner, order_date=day)
    OrderLine.objects.create(order=order, product=product, quantity="1", unit_price=revenue, unit_cost="0", revenue=revenue, cost="0")
    revenue_months_refresh(order_ids=[order.pk])  # written past the services: the summary by hand


def _visit(customer, owner, day):
    from kehu.activities.models import Activity
    from kehu.activities.summaries import activity_months_refresh, cell_of

    activity = Activity.objects.create(customer=customer, owner=owner, kind="visit", status="done",
                                       at=timezone.make_aware(datetime(day.year, day.month, day.day, 10)))
    activity_months_refresh(cells=[cell_of(activity)])


@pytest.fixture
def anomalies_world(cast):
    """rep_a: 100,000.00 a month Jan–Jun 2026, 8,000.00 in July. rep_b: 8 visits a month Jan–Jun, 1 in July."""
    for m in range(1, 7):
        _order(cast["customer_a"], cast["rep_a"], date(2026, m, 10), "100000.00", f"SA{m}")
        for i in range(8):
            _visit(cast["customer_b"], cast["rep_b"], date(2026, m, 1 + i))
    _order(cast["customer_a"], cast["rep_a"], date(2026, 7, 3), "8000.00", "SA7")
    _visit(cast["customer_b"], cast["rep_b"], date(2026, 7, 2))
    return cast


@pytest.mark.parametrize("role, revenue, visits", [
    ("rep_a", True, False), ("rep_b", False, True), ("manager_a", True, False), ("director", True, True),
    ("finance", True, True), ("admin", True, True),
])
def test_anomalies_are_the_pages_figures_in_each_roles_scope(api, anomalies_world, role, revenue, visits):
    status, body = _get(api, anomalies_world[role], ANOMALIES, {"period": "2026-07"})
    assert status == 200
    assert (body["period"], body["period_start"], body["period_end"], body["share"], body["currency"], body["so_far"]) == (
        "2026-07", "2026-07-01", "2026-07-31", "20.00", "CNY", False)
    rep_a, rep_b = anomalies_world["rep_a"], anomalies_world["rep_b"]
    expected_revenue = [{
        "rep": rep_a.pk, "rep_name": rep_a.get_full_name() or rep_a.username, "team": rep_a.team_id, "team_name": "Team A",
        "revenue": "8000.00", "usual": "100000.00", "ratio": "0.0800",
        "months": [{"month": f"2026-0{m}", "revenue": "100000.00"} for m in range(1, 7)] + [{"month": "2026-07", "revenue": "8000.00"}],
    }]
    assert body["revenue"] == (expected_revenue if revenue else [])
    if visits:
        [alert] = body["followups"]
        assert (alert["rep"], alert["kind"], alert["count"], alert["usual"], alert["ratio"]) == (rep_b.pk, "visit", 1, "8.0", "0.1250")
        assert [m["count"] for m in alert["months"]] == [8, 8, 8, 8, 8, 8, 1]
    else:
        assert body["followups"] == []


def test_anomalies_share_team_rep_and_the_default_month(api, anomalies_world):
    director = anomalies_world["director"]
    # a share of 5 %: 8,000 is not under 5,000 and 1 visit is not under 0.4
    status, body = _get(api, director, ANOMALIES, {"period": "2026-07", "share": "5"})
    assert status == 200 and body["share"] == "5.00" and body["revenue"] == [] and body["followups"] == []
    status, body = _get(api, director, ANOMALIES, {"period": "2026-07", "team": anomalies_world["rep_b"].team_id})
    assert [a["rep"] for a in body["revenue"]] == [] and [a["rep"] for a in body["followups"]] == [anomalies_world["rep_b"].pk]
    status, body = _get(api, director, ANOMALIES, {"period": "2026-07", "rep": anomalies_world["rep_a"].pk})
    assert len(body["revenue"]) == 1 and body["followups"] == []
    status, body = _get(api, director, ANOMALIES)  # the page's default: the month just ended
    from kehu.planning.periods import period_of

    assert status == 200 and body["period"] == period_of("month", timezone.localdate()).previous().label


@pytest.mark.parametrize("params, field", [
    ({"period": "2026-Q3"}, "period"), ({"period": "2026-13"}, "period"), ({"share": "0"}, "share"), ({"share": "100.5"}, "share"),
    ({"share": "abc"}, "share"), ({"team": "x"}, "team"),
])
def test_anomalies_refuse_a_bad_parameter_naming_it(api, anomalies_world, params, field):
    status, body = _get(api, anomalies_world["director"], ANOMALIES, params)
    assert status == 400 and body["error"]["code"] == "validation_error" and list(body["error"]["fields"]) == [field]


def test_anomalies_refuse_a_rep_not_among_yours_in_the_readers_language(api, anomalies_world):
    manager_a, rep_b = anomalies_world["manager_a"], anomalies_world["rep_b"]
    status, body = _get(api, manager_a, ANOMALIES, {"rep": rep_b.pk})
    assert status == 400 and body["error"]["fields"]["rep"][0]["message"] == "您可查看的销售中没有此人，已显示您能看到的全部。"
    manager_a.language = "en"
    manager_a.save(update_fields=["language"])
    status, body = _get(api, manager_a, ANOMALIES, {"rep": rep_b.pk})
    assert status == 400 and body["error"]["fields"]["rep"][0]["message"] == "There is no such rep among yours; showing all you see."


# --- buying factors ----------------------------------------------------------------------------

FACTORS = "/api/reports/factors/"


@pytest.fixture
def factors_world(cast):
    """customer_a (rep_a): important, price first, value second; customer_a2 (rep_a2): no tier, value first;
    customer_b (rep_b): major, price first. Deals closed in 2026-Q2 by rep_a: won on price, won on price, lost on value."""
    from kehu.customers.models import Customer
    from kehu.sales.models import Opportunity, OpportunityStage

    Customer.objects.filter(pk=cast["customer_a"].pk).update(pyramid_tier="important", buying_factor="price", buying_factor_second="value")
    Customer.objects.filter(pk=cast["customer_a2"].pk).update(buying_factor="value")
    Customer.objects.filter(pk=cast["customer_b"].pk).update(pyramid_tier="major", buying_factor="price")
    won, lost = OpportunityStage.objects.get(code="won"), OpportunityStage.objects.get(code="lost")
    for n, (stage, factor) in enumerate(((won, "price"), (won, "price"), (lost, "value"))):
        Opportunity.objects.create(code=f"OF{n}", customer=cast["customer_a"], owner=cast["rep_a"], title="x", stage=stage,
                                   amount="100.00", closed_on=date(2026, 5, 1 + n), buying_factor=factor,
                                   lost_reason="价格" if stage == lost else "")
    return cast


def _cell(cells, factor):
    return next((c["count"], c["share"]) for c in cells if c["factor"] == factor)


def test_factors_are_the_pages_figures_for_the_director_and_a_rep(api, factors_world):
    status, body = _get(api, factors_world["director"], FACTORS, {"period": "2026-Q2"})
    assert status == 200 and body["period"] == "2026-Q2"
    assert [f["code"] for f in body["factors"]] == ["value", "price", "relationship", "innovation"]
    tiers = {s["key"]: s for s in next(d for d in body["dimensions"] if d["key"] == "tiers")["segments"]}
    assert tiers["important"]["rows"] == 1 and _cell(tiers["important"]["first"], "price") == (1, "1.0000")
    assert _cell(tiers["important"]["either"], "value") == (1, "1.0000")
    assert tiers["major"]["rows"] == 1 and _cell(tiers["major"]["first"], "price") == (1, "1.0000")
    won, lost = body["deals"]["segments"]
    assert (won["key"], won["rows"], _cell(won["first"], "price")) == ("won", 2, (2, "1.0000"))
    assert (lost["key"], lost["rows"], _cell(lost["first"], "value")) == ("lost", 1, (1, "1.0000"))
    rates = {r["factor"]: (r["won"], r["lost"], r["win_rate"]) for r in body["win_rates"]}
    assert rates["price"] == (2, 0, "1.0000") and rates["value"] == (0, 1, "0.0000") and rates["innovation"] == (0, 0, None)
    assert (body["winner"]["factor"], body["winner"]["won"], body["winner"]["won_deals"], body["winner"]["share"]) == ("price", 2, 2, "1.0000")
    # rep_b sees their own customer (and the pool's), none of rep_a's deals
    status, body = _get(api, factors_world["rep_b"], FACTORS, {"period": "2026-Q2"})
    tiers = {s["key"]: s for s in next(d for d in body["dimensions"] if d["key"] == "tiers")["segments"]}
    assert tiers["important"]["rows"] == 0 and tiers["major"]["rows"] == 1
    assert [s["rows"] for s in body["deals"]["segments"]] == [0, 0] and body["winner"] is None


def test_factors_refuse_a_bad_source_or_period(api, factors_world):
    for params, field in (({"source": "bogus"}, "source"), ({"period": "2026-X1"}, "period")):
        status, body = _get(api, factors_world["director"], FACTORS, params)
        assert status == 400 and list(body["error"]["fields"]) == [field]


# --- what it takes -----------------------------------------------------------------------------

WIT = "/api/reports/what-it-takes/"


@pytest.fixture
def wit_world(cast):
    """June 2026. rep_a: target 120,000.00 a year (10,000.00 in June), won 2,000.00 in June; history (June 2025 –
    May 2026): 2 deals 7,000.00, 4 prospects, 3 qualified. rep_a2: no target, no history (team A's rates)."""
    from factories import CustomerFactory
    from kehu.customers.models import CustomerStageChange
    from kehu.customers.summaries import stage_months_rebuild
    from kehu.planning.models import Target
    from kehu.sales.models import Opportunity, OpportunityStage

    rep_a = cast["rep_a"]
    won = OpportunityStage.objects.get(code="won")
    for n, (amount, closed) in enumerate((("3000.00", date(2025, 6, 1)), ("4000.00", date(2026, 5, 31)), ("2000.00", date(2026, 6, 10)))):
        customer = CustomerFactory(owner=rep_a, name=f"W{n}", code=f"W{n}")
        Opportunity.objects.create(code=f"OW{n}", customer=customer, owner=rep_a, title="x", stage=won, amount=amount, closed_on=closed)
    for i in range(4):
        customer = CustomerFactory(owner=rep_a, name=f"P{i}", code=f"P{i}")
        CustomerStageChange.objects.create(customer=customer, to_stage="prospect", at=timezone.make_aware(datetime(2025, 9, 1 + i, 10)))
        if i < 3:
            CustomerStageChange.objects.create(customer=customer, to_stage="qualified", at=timezone.make_aware(datetime(2025, 10, 1 + i, 10)))
    Target.objects.create(scope="user", user=rep_a, year=2026, amount="120000.00")
    stage_months_rebuild()
    return cast


def test_what_it_takes_is_the_pages_figures(api, wit_world):
    status, body = _get(api, wit_world["manager_a"], WIT, {"period": "2026-06"})
    assert status == 200 and (body["period"], body["history_months"], body["currency"]) == ("2026-06", 12, "CNY")
    rows = {r["rep"]: r for r in body["rows"]}
    assert set(rows) == {wit_world["rep_a"].pk, wit_world["rep_a2"].pk}
    a = rows[wit_world["rep_a"].pk]
    assert (a["target"], a["won"], a["gap"], a["on_target"], a["average_deal"]) == ("10000.00", "2000.00", "8000.00", False, "3500.00")
    assert a["deal_size"] == {"source": "own", "won_amount": "7000.00", "won_count": 2}
    assert a["win_rate"] == {"source": "own", "numerator": 2, "denominator": 3}
    assert a["qualify_rate"] == {"source": "own", "numerator": 3, "denominator": 4}
    # 8,000 ÷ 3,500 → 3 deals; 3 ÷ (2/3) → 5 qualified; 5 ÷ (3/4) → 7 prospects
    assert (a["deals"], a["qualified"], a["prospects"]) == (3, 5, 7)
    assert a["history"] == {"won_count": 2, "won_amount": "7000.00", "qualified": 3, "prospects": 4}
    a2 = rows[wit_world["rep_a2"].pk]
    assert (a2["target"], a2["gap"], a2["deals"], a2["deal_size"]["source"], a2["win_rate"]["source"]) == (None, None, None, "team", "team")
    # a rep: only their own row
    status, body = _get(api, wit_world["rep_a2"], WIT, {"period": "2026-06"})
    assert [r["rep"] for r in body["rows"]] == [wit_world["rep_a2"].pk]


def test_what_it_takes_takes_months_and_quarters_only(api, wit_world):
    status, body = _get(api, wit_world["director"], WIT, {"period": "2026"})
    assert status == 400 and list(body["error"]["fields"]) == ["period"]
    status, body = _get(api, wit_world["director"], WIT, {"period": "2026-Q2"})
    assert status == 200 and body["period_start"] == "2026-04-01"


# --- the Friday review -------------------------------------------------------------------------

REVIEW = "/api/forecasts/review/"


def _submit(user, on, commit, best_case=None, period="2026-06"):
    from kehu.planning.models import ForecastSubmission
    from kehu.planning.periods import parse_period

    p = parse_period(period)
    return ForecastSubmission.objects.create(user=user, period=p.label, period_start=p.start, period_end=p.end, submitted_on=on,
                                             commit=D(commit), best_case=None if best_case is None else D(best_case), created_by=user)


def test_review_gap_coverage_and_rows_for_the_admin(api, cast):
    from kehu.planning.models import ForecastAdjustment, Target
    from kehu.sales.models import Opportunity, OpportunityStage
    from kehu.sales.services import opportunity_create

    Target.objects.create(scope="company", year=2026, amount=D("120000"), weights=[])  # June: 10,000
    Target.objects.create(scope="user", user=cast["rep_a"], year=2026, amount=D("60000"), weights=[])
    sub = _submit(cast["rep_a"], date(2026, 6, 11), "3000", "4000")
    ForecastAdjustment.objects.create(submission=sub, commit=D("2500"), note="n", created_by=cast["director"])
    _submit(cast["rep_b"], date(2026, 6, 11), "1000")
    won = opportunity_create(actor=cast["rep_a"], customer=cast["customer_a"], title="won", amount="2000",
                             stage=OpportunityStage.objects.get(code="won"))
    Opportunity.objects.filter(pk=won.pk).update(closed_on=date(2026, 6, 2))
    opportunity_create(actor=cast["rep_b"], customer=cast["customer_b"], title="open", amount="8000",
                       stage=OpportunityStage.objects.get(code="proposal"), expected_close_on=date(2026, 6, 30))
    status, body = _get(api, cast["admin"], REVIEW, {"period": "2026-06", "since": "2026-06-05"})
    assert status == 200
    figures = {k: body[k] for k in ("scope", "team", "teams", "target", "members_target", "goal", "won", "commit", "adjusted_commit",
                                    "best_case", "adjusted_best_case", "open_weighted", "weighted", "gap", "gap_unadjusted", "coverage")}
    assert figures == {"scope": "company", "team": None, "teams": [], "target": "10000.00", "members_target": "5000.00",
                       "goal": "10000.00", "won": "2000.00", "commit": "4000.00", "adjusted_commit": "3500.00",
                       "best_case": "5000.00", "adjusted_best_case": "5000.00", "open_weighted": "4000.00", "weighted": "6000.00",
                       "gap": "4500.00", "gap_unadjusted": "4000.00", "coverage": "0.5000"}
    rows = {r["user"]: r for r in body["rows"]}
    assert (rows[cast["rep_a"].pk]["commit"], rows[cast["rep_a"].pk]["adjusted_commit"], rows[cast["rep_a"].pk]["adjusted"]) == (
        "3000.00", "2500.00", True)
    assert body["waterfall"]["since"] == "2026-06-05" and body["slipping"] == [] and body["slipping_count"] == 0


def test_review_waterfall_is_the_forecast_movement_since_a_day(api, cast):
    from kehu.core.models import AuditEvent
    from kehu.planning.periods import period_of
    from kehu.sales.models import Opportunity, OpportunityStage
    from kehu.sales.services import opportunity_create, opportunity_update

    rep_a, customer_a = cast["rep_a"], cast["customer_a"]
    today = timezone.localdate()
    period = period_of("month", today).next()
    inside, later = period.start + timedelta(days=5), period.next().start + timedelta(days=3)
    long_ago = timezone.now() - timedelta(days=30)
    proposal = OpportunityStage.objects.get(code="proposal")
    old = opportunity_create(actor=rep_a, customer=customer_a, title="slips", amount="5000", stage=proposal, expected_close_on=inside)
    Opportunity.objects.filter(pk=old.pk).update(created_at=long_ago, push_count=1)
    AuditEvent.objects.filter(object_type="opportunity", object_id=old.pk).update(at=long_ago)
    opportunity_update(actor=rep_a, opportunity=Opportunity.objects.get(pk=old.pk), expected_close_on=later)
    opportunity_create(actor=rep_a, customer=customer_a, title="new", amount="3000", stage=proposal, expected_close_on=inside)
    for who in ("admin", "manager_a"):
        status, body = _get(api, cast[who], REVIEW, {"period": period.label, "since": (today - timedelta(days=7)).isoformat()})
        assert status == 200
        water = body["waterfall"]
        assert (water["start"], water["start_count"], water["end"], water["end_count"]) == ("5000.00", 1, "3000.00", 1)
        bars = {b["key"]: (b["amount"], b["count"]) for b in water["bars"] if b["count"]}
        assert bars == {"new": ("3000.00", 1), "pushed_out": ("-5000.00", 1)}
        assert [b["key"] for b in water["bars"]] == ["new", "pulled_in", "pushed_out", "amount_up", "amount_down", "won", "lost"]
        assert next(b["label"] for b in water["bars"] if b["key"] == "new") == "新增商机"


def test_review_permissions_and_parameters(api, cast, team_b):
    assert api(cast["rep_a"]).get(REVIEW).status_code == 403
    assert api(cast["rep_a"]).get(REVIEW, {"team": team_b.pk}).status_code == 404
    assert api(cast["manager_a"]).get(REVIEW, {"team": team_b.pk}).status_code == 404
    status, body = _get(api, cast["manager_a"], REVIEW)
    assert status == 200 and body["scope"] == "team" and body["team"] == cast["rep_a"].team_id
    status, body = _get(api, cast["director"], REVIEW, {"team": team_b.pk})
    assert status == 200 and body["scope"] == "team" and body["teams"] == [team_b.pk]
    for params, field in (({"period": "2026"}, "period"), ({"since": "06/05/2026"}, "since"), ({"team": "0"}, "team")):
        status, body = _get(api, cast["finance"], REVIEW, params)
        assert status == 400 and list(body["error"]["fields"]) == [field], body
    status, body = _get(api, cast["finance"], REVIEW, {"since": "2099-01-01"})  # the future: today, as the page
    assert status == 200 and body["waterfall"]["since"] == timezone.localdate().isoformat()


# --- a fixed number of queries (issue 13: at most 15 a page), whatever the number of rows ----------

def test_the_report_endpoints_make_a_bounded_number_of_queries(api, anomalies_world, django_assert_max_num_queries):
    from kehu.planning.models import Target

    Target.objects.create(scope="company", year=2026, amount=D("120000"), weights=[])
    for n in range(3):  # several deals and submissions per list, so that an N+1 would show
        _submit(anomalies_world["rep_a"], date(2026, 6, 1 + n), "100")
        _submit(anomalies_world["rep_b"], date(2026, 6, 1 + n), "200")
    client = api(anomalies_world["director"])
    for url, params in ((ANOMALIES, {"period": "2026-07"}), (FACTORS, {"period": "2026-Q2"}), (WIT, {"period": "2026-06"}),
                        (REVIEW, {"period": "2026-06", "since": "2026-06-05"})):
        assert client.get(url, params).status_code == 200, url  # the process's caches (stages, settings) filled once
        with django_assert_max_num_queries(15):
            assert client.get(url, params).status_code == 200, url

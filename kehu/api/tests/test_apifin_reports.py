"""Report figures API (kehu/api/reports.py): the lead-sources page's figures, filter and scope."""

import pytest
from django.utils import timezone

from kehu.customers.models import Customer


@pytest.fixture
def sourced(cast, customer_a, customer_a2, customer_b, pool_customer):
    Customer.objects.filter(pk__in=[customer_a.pk, customer_b.pk]).update(lead_source="conference", stage="signed")
    Customer.objects.filter(pk=customer_a2.pk).update(lead_source="internet")
    return str(timezone.localdate().year)


def rows(body):
    return {r["source"]: (r["customers"], r["acquired"], r["signed"], r["conversion"]) for r in body["sources"] if r["customers"]}


def test_finance_sees_every_source(api, finance, sourced):
    body = api(finance).get("/api/reports/lead-sources/", {"period": sourced}).json()
    assert body["period"] == sourced and body["currency"] == "CNY"
    assert rows(body) == {"conference": (2, 2, 2, "1.0000"), "internet": (1, 1, 0, "0.0000"), None: (1, 1, 0, "0.0000")}
    assert body["total"]["customers"] == 4 and body["total"]["won_amount"] == "0.00"
    assert len(body["sources"][0]["tier_counts"]) == len(body["tiers"])


def test_rep_sees_their_own_customers_only(api, rep_a, sourced):
    body = api(rep_a).get("/api/reports/lead-sources/", {"period": sourced}).json()
    assert rows(body) == {"conference": (1, 1, 1, "1.0000")}  # as the page: their numbers, not the pool's


def test_manager_filters_by_rep_and_source(api, manager_a, rep_a2, sourced):
    client = api(manager_a)
    body = client.get("/api/reports/lead-sources/", {"period": sourced, "rep": rep_a2.pk}).json()
    assert rows(body) == {"internet": (1, 1, 0, "0.0000")}
    body = client.get("/api/reports/lead-sources/", {"period": sourced, "source": "conference"}).json()
    assert body["total"]["customers"] == 1


@pytest.mark.parametrize("params, field", [
    ({"period": "2026-13"}, "period"), ({"source": "telepathy"}, "source"), ({"team": "abc"}, "team"),
])
def test_manager_bad_filter_is_400(api, manager_a, sourced, params, field):
    response = api(manager_a).get("/api/reports/lead-sources/", params)
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_manager_another_teams_rep_is_400_not_their_numbers(api, manager_a, rep_b, sourced):
    response = api(manager_a).get("/api/reports/lead-sources/", {"rep": rep_b.pk})
    assert response.status_code == 400 and "rep" in response.json()["error"]["fields"]


# --- funnel -----------------------------------------------------------------------------------

@pytest.fixture
def deals(cast, customer_a, customer_a2, customer_b):
    from decimal import Decimal

    from kehu.sales.models import Opportunity, OpportunityStage

    won = OpportunityStage.objects.filter(is_closed=True, is_won=True).first()
    lost = OpportunityStage.objects.filter(is_closed=True, is_won=False).first()
    today = timezone.localdate()
    for code, customer, stage, amount in [("O1", customer_a, won, "100.00"), ("O2", customer_a, won, "300.00"),
                                          ("O3", customer_a2, lost, "50.00"), ("O4", customer_b, won, "1000.00")]:
        Opportunity.objects.create(code=code, customer=customer, owner=customer.owner, title=code, stage=stage,
                                   amount=Decimal(amount), closed_on=today)
    return str(today.year)


def test_finance_reads_the_funnel_summary(api, finance, deals, rep_a):
    body = api(finance).get("/api/reports/funnel/", {"period": deals}).json()
    assert (body["won"], body["lost"], body["win_rate"], body["won_amount"], body["deal_size"]) == (3, 1, "0.7500", "1400.00", "466.67")
    by_rep = {g["key"]: (g["won"], g["lost"], g["won_amount"]) for g in body["by_rep"]}
    assert by_rep[str(rep_a.pk)] == (2, 0, "400.00")
    assert [r["stage"] for r in body["lifecycle"]][:1] and body["currency"] == "CNY"


def test_rep_reads_their_own_funnel(api, rep_a, deals):
    body = api(rep_a).get("/api/reports/funnel/", {"period": deals}).json()
    assert (body["won"], body["lost"], body["won_amount"], body["win_rate"]) == (2, 0, "400.00", "1.0000")


def test_manager_funnel_bad_period_is_400(api, manager_a, deals):
    response = api(manager_a).get("/api/reports/funnel/", {"period": "soon"})
    assert response.status_code == 400 and "period" in response.json()["error"]["fields"]


# --- rep activity -----------------------------------------------------------------------------

def test_finance_reads_rep_activity_and_the_leaderboard(api, finance, deals, rep_a, rep_b):
    body = api(finance).get("/api/reports/rep-activity/", {"period": deals, "rank": "won"}).json()
    rows = {r["rep"]: (r["won_count"], r["won_amount"]) for r in body["rows"]}
    assert rows[rep_a.pk] == (2, "400.00") and rows[rep_b.pk] == (1, "1000.00")
    assert body["totals"]["won_amount"] == "1400.00" and body["totals"]["rep"] is None
    assert [r["rep"] for r in body["leaderboard"]][:2] == [rep_b.pk, rep_a.pk] and body["leaderboard"][0]["rank"] == 1


def test_rep_reads_their_own_activity(api, rep_a, deals):
    body = api(rep_a).get("/api/reports/rep-activity/", {"period": deals}).json()
    assert [r["rep"] for r in body["rows"]] == [rep_a.pk] and body["totals"]["won_amount"] == "400.00"


def test_manager_unknown_rank_is_400(api, manager_a, deals):
    response = api(manager_a).get("/api/reports/rep-activity/", {"rank": "charm"})
    assert response.status_code == 400 and "rank" in response.json()["error"]["fields"]

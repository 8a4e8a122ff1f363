"""The pipeline board, the opportunity list, the new-opportunity form and the stage move."""

import re
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange
from kehu.sales.services import opportunity_create, opportunity_move
from kehu.sales.selectors import pipeline_columns

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(cast):
    for key in ("rep_a", "rep_a2", "rep_b", "manager_a", "finance", "admin", "director"):
        cast[key].language = "en"
        cast[key].save(update_fields=["language"])
    with translation.override("en"):
        yield


def stage(code):
    return OpportunityStage.objects.get(code=code)


@pytest.fixture
def opp(rep_a, customer_a):
    return opportunity_create(actor=rep_a, customer=customer_a, title="ERP rollout", amount="1000.00")


def move_url(o):
    return reverse("sales:opportunity-move", args=[o.pk])


def column(columns, code):
    return next(c for c in columns if c.stage.code == code)


def test_board_shows_cards_and_totals(login, rep_a, opp):
    response = login(rep_a).get(reverse("sales:pipeline"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "ERP rollout" in body and 'data-testid="card-%s"' % opp.code in body and "华为技术有限公司" in body


def test_totals_and_weighted_totals_are_exact(rep_a, customer_a):
    proposal = stage("proposal")
    opportunity_create(actor=rep_a, customer=customer_a, title="a", amount="100.01", stage=proposal, probability=33)
    opportunity_create(actor=rep_a, customer=customer_a, title="b", amount="200.02", stage=proposal, probability=33)
    opportunity_create(actor=rep_a, customer=customer_a, title="c", amount="0.03", stage=proposal)  # the stage's default
    columns = pipeline_columns(user=rep_a)
    col = column(columns, "proposal")
    assert col.count == 3 and col.total == Decimal("300.06")
    # 33.0033 + 66.0066 + 0.03 × p / 100, summed exactly, rounded once
    expected = (Decimal("100.01") * 33 + Decimal("200.02") * 33 + Decimal("0.03") * proposal.probability) / 100
    assert col.weighted == expected.quantize(Decimal("0.01"))
    per_card = sum(((a * p / 100).quantize(Decimal("0.01")) for a, p in (
        (Decimal("100.01"), 33), (Decimal("200.02"), 33), (Decimal("0.03"), proposal.probability))), Decimal(0))
    if proposal.probability == 50:  # the seeded default: 33.0033 + 66.0066 + 0.015 = 99.0249
        assert col.weighted == Decimal("99.02") and per_card == Decimal("99.03")  # rounding once, not per card


def test_closed_columns_count_and_sum(rep_a, customer_a):
    opportunity_create(actor=rep_a, customer=customer_a, title="w1", amount="10.10", stage=stage("won"))
    opportunity_create(actor=rep_a, customer=customer_a, title="w2", amount="0.05", stage=stage("won"))
    opportunity_create(actor=rep_a, customer=customer_a, title="l", amount="99", stage=stage("lost"), lost_reason="price")
    columns = pipeline_columns(user=rep_a)
    won, lost = column(columns, "won"), column(columns, "lost")
    assert (won.count, won.total, won.weighted) == (2, Decimal("10.15"), Decimal("10.15"))
    assert (lost.count, lost.total, lost.weighted) == (1, Decimal("99.00"), Decimal("0.00"))
    assert won.cards == [] and lost.cards == []


def test_board_filters_by_owner_and_close_period(login, manager_a, rep_a, rep_a2, customer_a, customer_a2):
    a = opportunity_create(actor=rep_a, customer=customer_a, title="mine-june", amount=1, expected_close_on="2026-06-10")
    b = opportunity_create(actor=rep_a2, customer=customer_a2, title="a2-july", amount=1, expected_close_on="2026-07-10")
    client = login(manager_a)
    body = client.get(reverse("sales:pipeline"), {"owner": rep_a2.pk}).content.decode()
    assert b.title in body and a.title not in body
    body = client.get(reverse("sales:pipeline"), {"close_from": "2026-06-01", "close_to": "2026-06-30"}).content.decode()
    assert a.title in body and b.title not in body


def _column_figures(body, code):
    """(count, total) shown in the board's column of stage `code`."""
    section = body[body.index(f'data-testid="column-{code}"'):]
    section = section[:section.index("</section>")]
    count = re.search(r'data-testid="count">(\d+)<', section).group(1)
    total = re.search(r'data-testid="total">([^<]*)<', section).group(1)
    return int(count), total


def test_rep_sees_a_won_deal_in_the_period_it_was_actually_closed(login, rep_a, customer_a):
    """Expected to close in July, won on 10 June: it is June's win, not July's (DOMAIN.md §7)."""
    early = opportunity_create(actor=rep_a, customer=customer_a, title="early win", amount="500.00", expected_close_on="2026-07-15")
    opportunity_move(actor=rep_a, opportunity=early, stage=stage("won"), now=timezone.make_aware(datetime(2026, 6, 10, 12)))
    late = opportunity_create(actor=rep_a, customer=customer_a, title="late loss", amount="70.00", expected_close_on="2026-06-20")
    opportunity_move(actor=rep_a, opportunity=late, stage=stage("lost"), lost_reason="price",
                     now=timezone.make_aware(datetime(2026, 7, 2, 12)))
    client = login(rep_a)
    june = client.get(reverse("sales:pipeline"), {"close_from": "2026-06-01", "close_to": "2026-06-30"}).content.decode()
    july = client.get(reverse("sales:pipeline"), {"close_from": "2026-07-01", "close_to": "2026-07-31"}).content.decode()
    assert _column_figures(june, "won")[0] == 1 and "500" in _column_figures(june, "won")[1]
    assert _column_figures(july, "won")[0] == 0
    assert _column_figures(june, "lost")[0] == 0 and _column_figures(july, "lost")[0] == 1
    listed = client.get(reverse("sales:opportunity-list"), {"close_from": "2026-06-01", "close_to": "2026-06-30"}).content.decode()
    assert "early win" in listed and "late loss" not in listed


def test_move_records_a_stage_change_and_returns_the_board(login, rep_a, opp):
    response = login(rep_a).post(move_url(opp), {"stage": "proposal"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="board"' in response.content.decode()
    assert "<html" not in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage.code == "proposal"
    change = OpportunityStageChange.objects.filter(opportunity=opp).latest("at", "id")
    assert change.to_stage.code == "proposal" and change.from_stage.code == "first_contact" and change.user == rep_a


def test_move_without_js_redirects_back_with_a_message(login, rep_a, opp):
    client = login(rep_a)
    response = client.post(move_url(opp), {"stage": "negotiation", "next": "/sales/opportunities/?stage=negotiation"})
    assert response.status_code == 302 and response["Location"] == "/sales/opportunities/?stage=negotiation"
    response = client.post(move_url(opp), {"stage": "won", "next": "https://evil.example/"})
    assert response["Location"] == reverse("sales:pipeline")
    opp.refresh_from_db()
    assert opp.stage.code == "won"


def test_lost_without_reason_shows_the_error(login, rep_a, opp):
    client = login(rep_a)
    response = client.post(move_url(opp), {"stage": "lost"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "A lost opportunity needs a lost reason." in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage.code == "first_contact"
    response = client.post(move_url(opp), {"stage": "lost"}, follow=True)
    assert "A lost opportunity needs a lost reason." in response.content.decode()
    client.post(move_url(opp), {"stage": "lost", "lost_reason": "price"}, HTTP_HX_REQUEST="true")
    opp.refresh_from_db()
    assert opp.stage.code == "lost" and opp.lost_reason == "price"


def test_unknown_stage_is_a_message_not_a_crash(login, rep_a, opp):
    response = login(rep_a).post(move_url(opp), {"stage": "vip"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Choose a stage." in response.content.decode()


def test_other_rep_gets_404_moving_and_nothing_changes(login, rep_b, opp):
    client = login(rep_b)
    assert client.post(move_url(opp), {"stage": "proposal"}).status_code == 404
    assert client.post(move_url(opp), {"stage": "proposal"}, HTTP_HX_REQUEST="true").status_code == 404
    opp.refresh_from_db()
    assert opp.stage.code == "first_contact"


def test_finance_cannot_move(login, finance, opp):
    client = login(finance)
    response = client.post(move_url(opp), {"stage": "proposal"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "You may not change this opportunity." in response.content.decode()
    response = client.post(move_url(opp), {"stage": "proposal"}, follow=True)
    assert "You may not change this opportunity." in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage.code == "first_contact" and OpportunityStageChange.objects.filter(opportunity=opp).count() == 1
    assert 'draggable="true"' not in client.get(reverse("sales:pipeline")).content.decode()


def test_manager_moves_a_team_members_opportunity(login, manager_a, opp):
    login(manager_a).post(move_url(opp), {"stage": "negotiation"}, HTTP_HX_REQUEST="true")
    opp.refresh_from_db()
    assert opp.stage.code == "negotiation"


def _make(rep, customer, n):
    for i in range(n):
        opportunity_create(actor=rep, customer=customer, title=f"deal {i}", amount=i)


@pytest.mark.parametrize("url_name", ["sales:opportunity-list", "sales:pipeline"])
def test_query_count_does_not_grow_with_rows(login, rep_a, customer_a, url_name):
    client = login(rep_a)
    _make(rep_a, customer_a, 1)
    client.get(reverse(url_name))  # warm the session / caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse(url_name)).status_code == 200
    _make(rep_a, customer_a, 20)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(url_name)).status_code == 200
    assert len(many) == len(one), [q["sql"] for q in many]


def test_list_filters_and_pagination(login, rep_a, customer_a, customer_b, rep_b):
    _make(rep_a, customer_a, 55)
    opportunity_create(actor=rep_b, customer=customer_b, title="hidden deal", amount=1)
    client = login(rep_a)
    page1 = client.get(reverse("sales:opportunity-list")).content.decode()
    assert page1.count('data-testid="row-') == 50 and "hidden deal" not in page1 and 'rel="next"' in page1
    page2 = client.get(reverse("sales:opportunity-list"), {"page": 2}).content.decode()
    assert page2.count('data-testid="row-') == 5
    assert client.get(reverse("sales:opportunity-list"), {"q": "deal 54"}).content.decode().count('data-testid="row-') == 1
    assert client.get(reverse("sales:opportunity-list"), {"q": "华为"}).content.decode().count('data-testid="row-') == 50
    assert "No opportunities match." in client.get(reverse("sales:opportunity-list"), {"stage": "won"}).content.decode()


def test_new_opportunity_for_a_customer(login, rep_a, customer_a):
    client = login(rep_a)
    url = reverse("sales:opportunity-create") + f"?customer={customer_a.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"customer": customer_a.pk, "title": "New deal", "amount": "1234.56", "probability": "40",
                                 "expected_close_on": "2026-12-31"})
    assert response.status_code == 302, response.content.decode()[:2000]
    opp = Opportunity.objects.get(title="New deal")
    assert opp.customer == customer_a and opp.amount == Decimal("1234.56") and opp.probability == 40 and opp.owner == rep_a


def test_rep_creating_an_opportunity_from_a_customer_page_returns_there(login, rep_a, customer_a):
    client = login(rep_a)
    page = reverse("customers:detail", args=[customer_a.pk]) + "#tab-deals"  # the page, on its deals tab
    url = reverse("sales:opportunity-create") + f"?customer={customer_a.pk}"
    form = client.get(url).content.decode()
    assert f'href="{page}"' in form  # Cancel goes back too
    response = client.post(url, {"customer": customer_a.pk, "title": "From the page", "amount": "10"})
    assert response.status_code == 302 and response["Location"] == page
    response = client.post(reverse("sales:opportunity-create"), {"customer": customer_a.pk, "title": "From the board", "amount": "1"})
    assert response["Location"] == reverse("sales:pipeline")


def test_rep_is_sent_back_to_a_safe_next_only(login, rep_a, customer_a):
    client = login(rep_a)
    url = reverse("sales:opportunity-create")
    data = {"customer": customer_a.pk, "title": "x", "amount": "1"}
    assert client.post(url, {**data, "next": "/sales/opportunities/"})["Location"] == "/sales/opportunities/"
    assert client.post(url, {**data, "next": "https://evil.example/"})["Location"] == reverse("sales:pipeline")
    assert client.post(url + f"?customer={customer_a.pk}", {**data, "next": "//evil.example/"})["Location"] == \
        reverse("customers:detail", args=[customer_a.pk]) + "#tab-deals"


def test_new_opportunity_refuses_hidden_or_uneditable_customers(login, rep_a, finance, customer_b, customer_a):
    client = login(rep_a)
    assert client.get(reverse("sales:opportunity-create") + f"?customer={customer_b.pk}").status_code == 404
    response = client.post(reverse("sales:opportunity-create"), {"customer": customer_b.pk, "title": "x", "amount": "1"})
    assert response.status_code == 404
    finance_client = login(finance)
    response = finance_client.get(reverse("sales:opportunity-create") + f"?customer={customer_a.pk}")
    assert response.status_code == 302
    assert not Opportunity.objects.exists()


def test_nav_shows_pipeline_for_sales(login, rep_a):
    assert reverse("sales:pipeline") in login(rep_a).get(reverse("sales:opportunity-list")).content.decode()

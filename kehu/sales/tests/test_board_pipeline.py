"""The pipeline board at scale (issue 13): a page of cards per open column in card order, each
column's count and sums over ALL its deals, "more" per column (same filter, paged), a link to
the filtered list, and a fixed number of queries whatever the number of deals."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from kehu.sales import selectors
from kehu.sales.models import Opportunity, OpportunityStage
from kehu.sales.selectors import pipeline_column_more, pipeline_columns
from kehu.sales.services import opportunity_create

pytestmark = pytest.mark.django_db


def stage(code):
    return OpportunityStage.objects.get(code=code)


def make(rep, customer, title, amount, close=None, code="proposal", **extra):
    return opportunity_create(actor=rep, customer=customer, title=title, amount=amount, stage=stage(code),
                              expected_close_on=close, **extra)


@pytest.fixture
def proposal_world(rep_a, customer_a, rep_b, customer_b):
    """Seven deals of rep_a in Proposal, in card order a..g, and one of rep_b's (not rep_a's)."""
    g = make(rep_a, customer_a, "g undated small", "1.00")
    e = make(rep_a, customer_a, "e 07-01 50", "50.00", date(2026, 7, 1))
    a = make(rep_a, customer_a, "a overdue", "5.00", date(2026, 1, 15))
    f = make(rep_a, customer_a, "f undated big", "900.00")
    c = make(rep_a, customer_a, "c 06-30 100 first", "100.00", date(2026, 6, 30))
    b = make(rep_a, customer_a, "b 06-30 700", "700.00", date(2026, 6, 30))
    d = make(rep_a, customer_a, "d 06-30 100 second", "100.00", date(2026, 6, 30))
    make(rep_b, customer_b, "hidden", "3.00", date(2026, 1, 1))
    return [a, b, c, d, e, f, g]


def titles(column):
    return [o.title for o in column.cards]


def column_of(columns, code):
    return next(c for c in columns if c.stage.code == code)


@pytest.fixture(params=["gather", "walk"])
def path(request, monkeypatch):
    """Both ways of picking the cards: few deals (their keys read, picked in Python) and many
    (each column walks its index): the same cards in the same order."""
    if request.param == "walk":
        monkeypatch.setattr(selectors, "BOARD_GATHER", 0)
    return request.param


def test_cards_come_in_card_order_and_the_column_counts_every_deal(rep_a, proposal_world, path):
    col = column_of(pipeline_columns(user=rep_a, limit=3), "proposal")
    # Expected close soonest first (an overdue one first), then the larger amount, then the older deal; undated last.
    assert titles(col) == ["a overdue", "b 06-30 700", "c 06-30 100 first"]
    assert (col.count, col.total, col.remaining, col.dated) == (7, Decimal("1856.00"), 4, 5)
    proposal = stage("proposal")
    expected = (Decimal("1856.00") * proposal.probability / 100).quantize(Decimal("0.01"))
    assert col.weighted == expected


def test_more_pages_through_the_column_once_each_across_the_undated(rep_a, proposal_world, path):
    seen = []
    for offset in range(0, 9, 2):
        col = pipeline_column_more(user=rep_a, stage=stage("proposal"), offset=offset, limit=2)
        assert col.count == 7
        seen += titles(col)
    assert seen == [o.title for o in proposal_world]


def test_filters_apply_to_cards_sums_and_more(rep_a, proposal_world, path):
    june = {"close_from": date(2026, 6, 1), "close_to": date(2026, 6, 30)}
    col = column_of(pipeline_columns(user=rep_a, limit=2, **june), "proposal")
    assert titles(col) == ["b 06-30 700", "c 06-30 100 first"] and (col.count, col.total) == (3, Decimal("900.00"))
    more = pipeline_column_more(user=rep_a, stage=stage("proposal"), offset=2, limit=2, **june)
    assert titles(more) == ["d 06-30 100 second"]


def test_closed_columns_count_and_sum_without_cards(rep_a, customer_a, path):
    for i in range(3):
        make(rep_a, customer_a, f"w{i}", "10.10", code="won")
    columns = pipeline_columns(user=rep_a, limit=1)
    won = column_of(columns, "won")
    assert (won.count, won.total, won.weighted, won.cards, won.remaining) == (3, Decimal("30.30"), Decimal("30.30"), [], 0)


def _many(rep, customer, n, code="proposal"):
    """n deals without the service (fast): amounts 1..n, every third undated."""
    s, customer_ids = stage(code), customer.pk
    Opportunity.objects.bulk_create([
        Opportunity(code=f"OPP-BULK-{code}-{i}", customer_id=customer_ids, owner=rep, title=f"bulk {code} {i}", stage=s,
                    amount=Decimal(i + 1), expected_close_on=None if i % 3 == 0 else date(2026, 7, 1 + i % 28))
        for i in range(n)])


def test_board_page_shows_a_page_of_cards_a_more_and_the_list_link(login, rep_a, customer_a):
    _many(rep_a, customer_a, 40)
    client = login(rep_a)
    with translation.override("en"):
        body = client.get(reverse("sales:pipeline"), {"close_from": "2026-01-01"}).content.decode()
    section = body[body.index('data-testid="column-proposal"'):]
    section = section[:section.index("</section>")]
    assert section.count('data-testid="card-') == selectors.BOARD_CARDS
    assert re.search(r'data-testid="count">(\d+)<', section).group(1) == "26"  # 40 less the 14 undated (not in a period)
    more = re.search(r'hx-get="([^"]+)"', section).group(1).replace("&amp;", "&")
    assert more.startswith(reverse("sales:pipeline-column")) and "stage=proposal" in more and ">6<" in section
    assert "close_from=2026-01-01" in more and "offset=20" in more
    link = re.search(r'href="([^"]+)" data-testid="list-link"', section).group(1).replace("&amp;", "&")
    assert link == reverse("sales:opportunity-list") + "?stage=proposal&close_from=2026-01-01"


def test_more_answers_the_next_cards_and_no_more_at_the_end(login, rep_a, customer_a):
    _many(rep_a, customer_a, 25)
    client = login(rep_a)
    url = reverse("sales:pipeline-column")
    body = client.get(url, {"stage": "proposal", "offset": 20}).content.decode()
    assert body.count('data-testid="card-') == 5 and 'data-testid="more"' not in body and "<html" not in body
    body = client.get(url, {"stage": "proposal", "offset": 0}).content.decode()
    assert body.count('data-testid="card-') == 20 and 'data-testid="more"' in body and "offset=20" in body
    assert 'draggable="true"' in body and "<option value=\"proposal\" selected>" in body


def test_more_is_scoped_and_refuses_unknown_or_closed_stages(login, rep_a, rep_b, customer_a, finance):
    _many(rep_a, customer_a, 3)
    url = reverse("sales:pipeline-column")
    assert 'data-testid="card-' not in login(rep_b).get(url, {"stage": "proposal", "offset": 0}).content.decode()
    assert login(rep_b).get(url, {"stage": "won", "offset": 0}).status_code == 404
    assert login(rep_b).get(url, {"stage": "nope"}).status_code == 404
    assert login(rep_b).get(url, {"stage": "proposal", "offset": "x"}).status_code == 200
    body = login(finance).get(url, {"stage": "proposal", "offset": 0}).content.decode()
    assert body.count('data-testid="card-') == 3 and 'draggable="true"' not in body and "<form" not in body


def test_board_in_chinese_and_english(login, rep_a, customer_a):
    _many(rep_a, customer_a, 25)
    client = login(rep_a)
    rep_a.language = "zh-hans"
    rep_a.save(update_fields=["language"])
    assert "更多" in client.get(reverse("sales:pipeline")).content.decode()
    rep_a.language = "en"
    rep_a.save(update_fields=["language"])
    body = client.get(reverse("sales:pipeline")).content.decode()
    assert ">More <" in body and "Show in the list" in body


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "admin", "finance"])
def test_board_and_more_run_a_fixed_number_of_queries(who, cast, login, customer_a, customer_a2, pool_customer,
                                                      django_assert_max_num_queries):
    for code in ("first_contact", "proposal", "negotiation", "won", "lost"):
        _many(cast["rep_a"], customer_a, 30, code)
    client = login(cast[who])
    client.get(reverse("sales:pipeline"))  # warm the session
    with django_assert_max_num_queries(15):
        body = client.get(reverse("sales:pipeline")).content.decode()
    assert body.count('data-testid="card-') == 3 * selectors.BOARD_CARDS
    with django_assert_max_num_queries(15):
        client.get(reverse("sales:pipeline"), {"owner": cast["rep_a"].pk, "close_from": "2026-01-01", "close_to": "2026-12-31"},
                   HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(15):
        body = client.get(reverse("sales:pipeline-column"), {"stage": "proposal", "offset": 20}).content.decode()
    assert body.count('data-testid="card-') == 10

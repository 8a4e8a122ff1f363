"""The top bar's search made fast (issue 13): opportunity titles through an index
(search.opportunity_match_q: SQLite an index on (title, code), PostgreSQL pg_trgm and the piece
array) find exactly what `title icontains / code prefix` finds; the page and the htmx dropdown
run a fixed number of queries for every role, whatever the number of matches."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Q
from django.urls import reverse

from conftest import make_customer
from factories import ContactFactory
from kehu.customers.search import opportunity_match_q
from kehu.reports.selectors.search import DROPDOWN_LIMIT, _code_prefixes, _code_q
from kehu.sales.models import Contract, Opportunity, OpportunityStage, Quote, SalesOrder

SEARCH = reverse("reports:search")
TITLES = ["华为 ERP 升级", "信疗 ERP 升级", "ERP", "erp 续约", "Ärzte-Portal", "100% 回款", "a_b 项目", "华", "为华为",
          "精科科技 二期", "CRM crm CrM", "年度框架协议"]
TEXTS = ["华为", "ERP", "erp", "Er", "rp 升", "升级", "ä", "Ä", "ärzte", "%", "100%", "_", "a_b", "a%b", "华为 E",
         "OPP-A", "opp-a", "OPP-A1", "OP", "二期", "期", "crm", "CRM c", "框架协", "no such", "华为华为", "\"", "'"]


@pytest.fixture
def opportunities(cast):
    stage = OpportunityStage.objects.get(code="proposal")
    customers = [cast["customer_a"], cast["customer_b"], cast["pool_customer"]]
    owners = [cast["rep_a"], cast["rep_b"], None]
    for i, title in enumerate(TITLES):
        Opportunity.objects.create(code=f"OPP-{'AB'[i % 2]}{i}", customer=customers[i % 3], owner=owners[i % 3] or cast["rep_a"],
                                   title=title, stage=stage, amount=Decimal("1.00"))
    return cast


@pytest.mark.django_db
def test_opportunity_match_is_the_rule(opportunities):
    for text in TEXTS:
        rule = set(Opportunity.objects.filter(Q(title__icontains=text) | _code_q(text)).values_list("pk", flat=True))
        got = set(Opportunity.objects.filter(opportunity_match_q(text, _code_prefixes(text))).values_list("pk", flat=True))
        assert got == rule, text


@pytest.mark.django_db
def test_the_index_follows_every_write(opportunities):
    o = Opportunity.objects.get(title="华为 ERP 升级")
    o.title = "鸿蒙 适配"
    o.save()
    for text, want in (("华为", {"为华为"}), ("鸿蒙", {"鸿蒙 适配"}), ("蒙 适", {"鸿蒙 适配"})):
        got = {x.title for x in Opportunity.objects.filter(opportunity_match_q(text, _code_prefixes(text)))}
        assert got == want, text
    o.delete()
    assert not Opportunity.objects.filter(opportunity_match_q("鸿蒙", ["鸿蒙"])).exists()


@pytest.fixture
def many(opportunities):
    """More matches than the page shows, in every kind, for every owner (an N+1 would show)."""
    cast = opportunities
    stage = OpportunityStage.objects.get(code="proposal")
    for i in range(12):
        owner = (cast["rep_a"], cast["rep_b"])[i % 2]
        c = make_customer(owner if i % 3 else None, f"华为分公司{i:02d}", f"HW{i:04d}", phone=f"1390000{i:04d}")
        ContactFactory(customer=c, name=f"华为联系人{i}", phone=f"1380000{i:04d}", phone_normalized=f"1380000{i:04d}")
        Opportunity.objects.create(code=f"HWO{i:03d}", customer=c, owner=owner, title=f"华为 项目{i}", stage=stage, amount=Decimal("1.00"))
        Quote.objects.create(code=f"HWQ{i:03d}", customer=c, owner=owner)
        Contract.objects.create(code=f"HWC{i:03d}", customer=c, owner=owner, signed_on=date(2026, 1, 1), amount=Decimal("1.00"))
        SalesOrder.objects.create(code=f"HWS{i:03d}", customer=c, owner=owner, order_date=date(2026, 1, 1))
    return cast


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["华为", "hw", "HW", "华为分公司", "1390000", "ERP", "no such"])
def test_page_and_dropdown_query_counts(many, login, q, django_assert_max_num_queries):
    """Session, user, (a manager's team), the customers' ids probe on PostgreSQL, then ONE query
    for every kind (and, on the page, the header's badges): 5 at most for the page and the
    dropdown (were 12 and 10: issue 13, second pass)."""
    for who in ("admin", "director", "manager_a", "rep_a", "finance"):
        client = login(many[who])
        client.get(SEARCH, {"q": q})
        with django_assert_max_num_queries(5):
            assert client.get(SEARCH, {"q": q}).status_code == 200
        with django_assert_max_num_queries(5):
            assert client.get(SEARCH, {"q": q}, HTTP_HX_REQUEST="true").status_code == 200


@pytest.mark.django_db
def test_dropdown_shows_at_most_three_per_kind(many, login):
    response = login(many["director"]).get(SEARCH, {"q": "hw"}, HTTP_HX_REQUEST="true")
    groups = {g.key: g for g in response.context["groups"]}
    assert set(groups) == {"customers", "opportunities", "quotes", "contracts", "orders"}
    assert all(len(g.rows) == DROPDOWN_LIMIT and g.more for g in groups.values())
    html = response.content.decode()
    assert 'data-testid="search-dropdown"' in html and "HWQ000" in html


@pytest.mark.django_db
def test_a_user_who_sees_nothing_gets_no_codes(many):
    """An inactive user's scope is empty: the code kinds' one query is not even sent."""
    from kehu.reports.selectors.search import global_search

    rep = many["rep_a"]
    assert {g.key for g in global_search(user=rep, text="HW")} >= {"quotes", "contracts", "orders"}
    rep.is_active = False
    assert global_search(user=rep, text="HW") == []

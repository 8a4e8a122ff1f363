"""Buying factors (002, issue 12): the ranked pair on customers and opportunities (the database
constraint, the forms, the services), and the report — exact numbers on a small world, the scope
of each role, the export, a bad filter, the query count."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from kehu.core.models import AuditEvent
from kehu.customers.errors import CustomerError
from kehu.customers.models import BuyingFactor, Customer
from kehu.reports.filters import ReportFilter
from kehu.reports.selectors import factors as selectors
from kehu.reports.selectors.factors import factors_report
from kehu.planning.periods import parse_period
from kehu.sales.errors import SalesError
from kehu.sales.models import Opportunity, OpportunityStage

D = Decimal
Q2 = "2026-Q2"
ROLES = ("admin", "director", "manager_a", "rep_a", "rep_b", "finance")


# --- the ranked pair --------------------------------------------------------------------------

def test_system_opportunity_buying_factor_is_the_shared_choices():
    assert Opportunity.BuyingFactor is BuyingFactor
    assert BuyingFactor.values == ["value", "price", "relationship", "innovation"]


@pytest.mark.django_db
@pytest.mark.parametrize("first, second", [("price", "price"), ("", "value")])
def test_system_database_refuses_a_second_factor_equal_to_the_first_or_without_one(customer_a, rep_a, first, second):
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer_a.pk).update(buying_factor=first, buying_factor_second=second)
    opp = _opp(customer_a, rep_a, "first_contact", None, "O-X")
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.filter(pk=opp.pk).update(buying_factor=first, buying_factor_second=second)
    Customer.objects.filter(pk=customer_a.pk).update(buying_factor="price", buying_factor_second="value")  # a valid pair


@pytest.mark.django_db
def test_system_customer_service_checks_the_pair_and_records_the_change(customer_a, rep_a):
    from kehu.customers.services import customer_update

    with pytest.raises(CustomerError):
        customer_update(actor=rep_a, customer=customer_a, data={"buying_factor": "value", "buying_factor_second": "value"})
    with pytest.raises(CustomerError):
        customer_update(actor=rep_a, customer=customer_a, data={"buying_factor_second": "value"})
    customer_update(actor=rep_a, customer=customer_a, data={"buying_factor": "value", "buying_factor_second": "price"})
    customer_a.refresh_from_db()
    assert (customer_a.buying_factor, customer_a.buying_factor_second) == ("value", "price")
    event = AuditEvent.objects.filter(customer=customer_a, verb=AuditEvent.Verb.UPDATE).latest("pk")
    assert event.changes["buying_factor"] == ["", "value"] and event.changes["buying_factor_second"] == ["", "price"]


@pytest.mark.django_db
def test_system_opportunity_services_check_the_pair_and_record_the_change(customer_a, rep_a):
    from kehu.sales.services import opportunity_create, opportunity_update

    with pytest.raises(SalesError):
        opportunity_create(actor=rep_a, customer=customer_a, title="T", amount="1", buying_factor="price", buying_factor_second="price")
    with pytest.raises(SalesError):
        opportunity_create(actor=rep_a, customer=customer_a, title="T", amount="1", buying_factor="mood")
    opp = opportunity_create(actor=rep_a, customer=customer_a, title="T", amount="1", buying_factor="price", buying_factor_second="value")
    assert (opp.buying_factor, opp.buying_factor_second) == ("price", "value")
    with pytest.raises(SalesError):
        opportunity_update(actor=rep_a, opportunity=opp, buying_factor="value")  # the second is value already
    opp = opportunity_update(actor=rep_a, opportunity=opp, buying_factor="relationship")
    assert (opp.buying_factor, opp.buying_factor_second) == ("relationship", "value")
    opp = opportunity_update(actor=rep_a, opportunity=opp, buying_factor_second="")
    event = AuditEvent.objects.filter(customer=customer_a, verb=AuditEvent.Verb.UPDATE).latest("pk")
    assert event.changes == {"buying_factor_second": ["value", ""]}


@pytest.mark.django_db
@pytest.mark.parametrize("english, message", [(False, "次要购买因素必须与主要购买因素不同。"),
                                              (True, "The second buying factor must differ from the primary one.")])
def test_user_sees_a_translated_error_when_the_second_factor_repeats_the_first(login, login_en, customer_a, rep_a, english, message):
    client = (login_en if english else login)(rep_a)
    response = client.post(reverse("sales:opportunity-create") + f"?customer={customer_a.pk}", {
        "customer": customer_a.pk, "title": "新商机", "amount": "100", "buying_factor": "price", "buying_factor_second": "price"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("english, message", [(False, "请先选择主要购买因素，再选择次要购买因素。"),
                                              (True, "Choose the primary buying factor before the second.")])
def test_user_sees_a_translated_error_for_a_second_factor_without_a_first_on_the_customer(login, login_en, customer_a, rep_a, english, message):
    from kehu.customers.forms import CustomerForm

    client = (login_en if english else login)(rep_a)
    page = client.get(reverse("customers:edit", args=[customer_a.pk]))
    form = page.context["form"]
    data = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    data.update({"buying_factor": "", "buying_factor_second": "value"})
    response = client.post(reverse("customers:edit", args=[customer_a.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert isinstance(response.context["form"], CustomerForm)
    customer_a.refresh_from_db()
    assert customer_a.buying_factor_second == ""


@pytest.mark.django_db
def test_user_edits_and_sees_both_factors_on_the_customer_and_the_opportunity(login_en, customer_a, rep_a):
    client = login_en(rep_a)
    page = client.get(reverse("customers:edit", args=[customer_a.pk]))
    form = page.context["form"]
    data = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    data.update({"buying_factor": "relationship", "buying_factor_second": "innovation"})
    response = client.post(reverse("customers:edit", args=[customer_a.pk]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'data-testid="buying-factor">Relationship<' in page and 'data-testid="buying-factor-second">Innovation<' in page
    opp = _opp(customer_a, rep_a, "first_contact", None, "O-Y", "price", "value")
    page = client.get(reverse("sales:opportunity-detail", args=[opp.pk])).content.decode()
    assert 'data-testid="buying-factor">Price<' in page and 'data-testid="buying-factor-second">Value<' in page


@pytest.mark.django_db
def test_system_merge_takes_the_factors_as_a_pair(customer_a, customer_a2, admin):
    from kehu.customers.services.merge import customer_merge

    Customer.objects.filter(pk=customer_a.pk).update(buying_factor="", buying_factor_second="")
    Customer.objects.filter(pk=customer_a2.pk).update(buying_factor="price", buying_factor_second="value")
    customer_merge(actor=admin, kept=Customer.objects.get(pk=customer_a.pk), merged=Customer.objects.get(pk=customer_a2.pk))
    kept = Customer.objects.get(pk=customer_a.pk)
    assert (kept.buying_factor, kept.buying_factor_second) == ("price", "value")


# --- the report: a small world ----------------------------------------------------------------

def _opp(customer, owner, stage, closed_on, code, first="", second=""):
    return Opportunity.objects.create(
        code=code, customer=customer, owner=owner, title=code, stage=OpportunityStage.objects.get(code=stage),
        amount=D("100.00"), closed_on=closed_on, buying_factor=first, buying_factor_second=second)


@pytest.fixture
def world(cast):
    """Customers: a (rep_a) important/diamond/通信 value+price; a2 (rep_a2) important/general/建筑
    price; b (rep_b) small/problem/医疗 relationship+value; pool (no owner) unranked/制造, none.
    Deals: Q2 2026 — o1 a won value+relationship, o2 a lost price, o3 a2 won value, o4 b won
    relationship+value, o7 b lost (no factor); outside — o5 b won in July, o6 a open."""
    c = cast
    Customer.objects.filter(pk=c["customer_a"].pk).update(pyramid_tier="important", value_class="diamond", buying_factor="value", buying_factor_second="price")
    Customer.objects.filter(pk=c["customer_a2"].pk).update(pyramid_tier="important", value_class="general", buying_factor="price")
    Customer.objects.filter(pk=c["customer_b"].pk).update(pyramid_tier="small", value_class="problem", buying_factor="relationship", buying_factor_second="value")
    _opp(c["customer_a"], c["rep_a"], "won", date(2026, 4, 10), "O1", "value", "relationship")
    _opp(c["customer_a"], c["rep_a"], "lost", date(2026, 5, 1), "O2", "price")
    _opp(c["customer_a2"], c["rep_a2"], "won", date(2026, 6, 30), "O3", "value")
    _opp(c["customer_b"], c["rep_b"], "won", date(2026, 5, 5), "O4", "relationship", "value")
    _opp(c["customer_b"], c["rep_b"], "won", date(2026, 7, 1), "O5", "price")
    _opp(c["customer_a"], c["rep_a"], "first_contact", None, "O6", "price")
    _opp(c["customer_b"], c["rep_b"], "lost", date(2026, 4, 1), "O7")
    return c


def _flt(user, period=Q2, **kw):
    return ReportFilter(reader=user, period=parse_period(period), today=date(2026, 6, 15), **kw)


def _seg(dimension, key):
    return next(s for s in dimension.segments if s.key == key)


def _counts(segment):
    return [c.count for c in segment.first], segment.unknown.count, [c.count for c in segment.either]


@pytest.mark.django_db
def test_system_counts_the_directors_customers_by_tier_class_and_industry(world):
    report = factors_report(_flt(world["director"]))
    tiers, classes, industries = report.dimensions
    assert [s.key for s in tiers.segments] == ["important", "major", "ordinary", "small", ""]
    important = _seg(tiers, "important")
    assert important.rows == 2
    assert _counts(important) == ([1, 1, 0, 0], 0, [1, 2, 0, 0])  # value, price, relationship, innovation
    assert [c.share for c in important.first] == [D("0.5000"), D("0.5000"), D("0"), D("0")]
    assert important.either[1].share == D("1.0000")
    assert _seg(tiers, "major").rows == 0 and _seg(tiers, "major").first[0].share is None
    assert _counts(_seg(tiers, "small")) == ([0, 0, 1, 0], 0, [1, 0, 1, 0])
    unranked = _seg(tiers, "")
    assert (unranked.rows, unranked.unknown.count, unranked.unknown.share) == (1, 1, D("1.0000"))
    assert _counts(_seg(classes, "diamond")) == ([1, 0, 0, 0], 0, [1, 1, 0, 0])
    assert _seg(classes, "problem").first[2].count == 1
    assert [(s.key, s.rows) for s in industries.segments] == [("制造", 1), ("医疗", 1), ("建筑", 1), ("通信", 1)]  # ties: by name


@pytest.mark.django_db
def test_system_groups_industries_beyond_the_top_ones_with_the_blank_as_other(world, monkeypatch):
    Customer.objects.filter(pk=world["pool_customer"].pk).update(industry="")
    Customer.objects.filter(pk=world["customer_a2"].pk).update(industry="通信")
    monkeypatch.setattr(selectors, "TOP_INDUSTRIES", 1)
    industries = factors_report(_flt(world["director"])).dimensions[2]
    assert [(s.key, s.rows) for s in industries.segments] == [("通信", 2), (selectors.OTHER, 2)]
    assert _counts(industries.segments[1]) == ([0, 0, 1, 0], 1, [1, 0, 1, 0])


@pytest.mark.django_db
def test_system_counts_deals_won_and_lost_in_the_period_and_names_the_winning_factor(world):
    report = factors_report(_flt(world["director"]))
    won, lost = report.deals.segments
    assert (won.rows, lost.rows) == (3, 2)
    assert _counts(won) == ([2, 0, 1, 0], 0, [3, 0, 2, 0])
    assert _counts(lost) == ([0, 1, 0, 0], 1, [0, 1, 0, 0])
    assert won.first[0].share == D("0.6667")
    assert [(w.factor, w.won, w.lost, w.win_rate) for w in report.win_rates] == [
        ("value", 2, 0, D("1.0000")), ("price", 0, 1, D("0.0000")), ("relationship", 1, 0, D("1.0000")), ("innovation", 0, 0, None)]
    w = report.winner
    assert (w.factor, w.won, w.won_deals, w.share) == ("value", 2, 3, D("0.6667"))
    july = factors_report(_flt(world["director"], "2026-07"))
    assert july.deals.segments[0].rows == 1 and july.winner.factor == "price"
    assert factors_report(_flt(world["director"], "2026-01")).winner is None


@pytest.mark.django_db
def test_system_ties_among_won_deals_go_to_the_first_factor_in_order(world):
    Opportunity.objects.filter(code="O1").update(buying_factor="relationship", buying_factor_second="")
    assert factors_report(_flt(world["director"])).winner.factor == "relationship"  # O1, O4 against O3
    Opportunity.objects.filter(code="O4").update(buying_factor="innovation", buying_factor_second="")
    assert factors_report(_flt(world["director"])).winner.factor == "value"  # one each: value comes first


@pytest.mark.django_db
def test_system_keeps_each_role_to_its_own_scope(world):
    def numbers(user, **kw):
        r = factors_report(_flt(world[user], **kw))
        return sum(s.rows for s in r.dimensions[0].segments), r.deals.segments[0].rows, r.deals.segments[1].rows

    assert numbers("director") == (4, 3, 2)
    assert numbers("admin") == (4, 3, 2)
    assert numbers("finance") == (4, 3, 2)
    assert numbers("manager_a") == (3, 2, 1)   # a, a2 and the pool; o1, o3 won, o2 lost
    assert numbers("rep_a") == (2, 1, 1)       # a and the pool; o1, o2
    assert numbers("rep_b") == (2, 1, 1)       # b and the pool; o4, o7
    assert numbers("director", rep=world["rep_a"]) == (1, 1, 1)  # a chosen rep: their customers only
    assert numbers("director", lead_source="phone") == (0, 0, 0)


# --- the pages --------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_user_opens_the_report_in_chinese_and_english(world, login, login_en, role):
    url = reverse("reports:factors") + f"?period={Q2}"
    page = login(world[role]).get(url)
    assert page.status_code == 200
    assert "购买因素" in page.content.decode()
    page = login_en(world[role]).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Buying factors" in body and 'data-testid="factors-table-tiers"' in body and "chart-factors-deals" in body


@pytest.mark.django_db
def test_director_reads_the_winning_factor_in_a_sentence(world, login_en):
    body = login_en(world["director"]).get(reverse("reports:factors") + f"?period={Q2}").content.decode()
    assert "Of the 3 deals won in the period, 2 (66.67%) had Value as the primary buying factor" in body


@pytest.mark.django_db
def test_user_with_a_bad_filter_gets_a_message_not_an_error(world, login_en):
    page = login_en(world["rep_a"]).get(reverse("reports:factors") + "?period=2026-13&team=999&rep=abc&source=mood")
    assert page.status_code == 200
    problems = page.context["filter"].problems
    assert len(problems) >= 3
    assert 'data-testid="filter-problem"' in page.content.decode()
    export = login_en(world["rep_a"]).get(reverse("reports:factors-export") + "?period=junk")
    assert export.status_code == 200


@pytest.mark.django_db
def test_user_exports_the_page_rows(world, login_en):
    response = login_en(world["director"]).get(reverse("reports:factors-export") + f"?period={Q2}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:4] == ["Pyramid tiers", "Value classes", "Industries", "Deals won and lost"]
    deals = list(book["Deals won and lost"].iter_rows(values_only=True))
    assert deals[0][:4] == ("Won or lost", "Count", "Value first", "Value first, share")
    assert deals[1][:4] == ("Won", 3, 2, D("0.6667")) or deals[1][:4] == ("Won", 3, 2, 0.6667)
    assert [r[1] for r in deals[1:]] == [3, 2]
    tiers = list(book["Pyramid tiers"].iter_rows(values_only=True))
    assert [r[0] for r in tiers[1:]] == ["Important", "Major", "Ordinary", "Small", "Not ranked"]
    rates = list(book["Win rate by factor"].iter_rows(values_only=True))
    assert rates[1][:3] == ("Value", 2, 0)
    rep = login_en(world["rep_a"]).get(reverse("reports:factors-export") + f"?period={Q2}")
    rep_deals = list(openpyxl.load_workbook(io.BytesIO(rep.content))["Deals won and lost"].iter_rows(values_only=True))
    assert [r[1] for r in rep_deals[1:]] == [1, 1]


@pytest.mark.django_db
def test_system_answers_in_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    from kehu.customers.services.records import next_customer_code  # noqa: F401  (warm imports)

    client = login(world["director"])
    url = reverse("reports:factors") + f"?period={Q2}"
    client.get(url)
    with django_assert_max_num_queries(14) as first:
        client.get(url)
    for i in range(30):
        Customer.objects.create(code=f"CX{i:03d}", name=f"多{i}", owner=world["rep_b"], industry=f"行业{i}", buying_factor="price")
        _opp(world["customer_b"], world["rep_b"], "won", date(2026, 5, 6), f"OX{i}", "innovation")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)
    with django_assert_max_num_queries(3):  # the director's teams, the customers grouped, the deals grouped
        factors_report(_flt(world["director"]))


# --- the demo ---------------------------------------------------------------------------------

def test_system_demo_pick_is_deterministic_and_never_repeats_the_first():
    from kehu.dataset.demo_factors import BY_TIER, _pair

    for code in ("C00001", "C00002", "O000020", "X"):
        first, second = _pair(code, BY_TIER["important"], "", "")
        assert first != second and (first, second) == _pair(code, BY_TIER["important"], "", "")
        assert _pair(code, BY_TIER["small"], "price", "")[0] == "price"
        assert _pair(code, BY_TIER["small"], "price", "")[1] != "price"


@pytest.mark.django_db
def test_system_demo_fills_the_report_and_a_second_load_changes_nothing():
    from kehu.accounts.models import User
    from kehu.dataset.demo_factors import demo_factors
    from kehu.dataset.services import demo_company_load

    demo_company_load()
    customers = Customer.objects.filter(is_deleted=False)
    assert customers.exclude(buying_factor="").count() > customers.count() // 2
    assert customers.filter(buying_factor="").exists()  # some not known
    assert not Opportunity.objects.filter(buying_factor="").exists()
    assert not Opportunity.objects.filter(buying_factor_second="").exists()
    boss = User.objects.get(username="boss")
    today = date.today()
    reports = [factors_report(ReportFilter(reader=boss, period=parse_period(str(year)), today=today)) for year in (today.year, today.year - 1)]
    assert any(r.deals.segments[0].rows and r.winner is not None for r in reports)  # the demo's deals closed in the last quarter
    report = reports[0]
    assert len({s.key for s in report.dimensions[0].segments if s.rows}) >= 2
    state = list(Opportunity.objects.order_by("pk").values_list("buying_factor", "buying_factor_second", "updated_at"))
    assert demo_factors() == 0
    demo_company_load()
    assert list(Opportunity.objects.order_by("pk").values_list("buying_factor", "buying_factor_second", "updated_at")) == state


def test_system_import_keeps_the_second_factor_unless_the_files_first_takes_its_place():
    from kehu.dataset.importers.opportunities import OpportunityImporter

    keep = OpportunityImporter._keep_ranked
    assert keep({"buying_factor_second": "value"}, {"buying_factor": "price"}) == {"buying_factor": "price"}
    assert keep({"buying_factor_second": "value"}, {"buying_factor": "value"}) == {"buying_factor": "value", "buying_factor_second": ""}
    assert keep({"buying_factor_second": "value"}, {"buying_factor": ""}) == {"buying_factor": "", "buying_factor_second": ""}
    assert keep({"buying_factor_second": ""}, {"buying_factor": ""}) == {"buying_factor": ""}


@pytest.mark.django_db
def test_user_reads_the_factor_change_in_the_customer_history(login, customer_a, rep_a):
    from kehu.customers.services import customer_update

    customer_update(actor=rep_a, customer=customer_a, data={"buying_factor": "value", "buying_factor_second": "price"})
    page = login(rep_a).get(reverse("customers:detail", args=[customer_a.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "次要购买因素" in body and "主要购买因素" in body


@pytest.mark.django_db
def test_api_reads_and_writes_the_pair_and_refuses_a_repeat(client, customer_a, rep_a):
    client.force_login(rep_a)
    url = reverse("api:customer-detail", args=[customer_a.pk])
    got = client.get(url)
    assert got.json()["buying_factor_second"] == ""
    bad = client.patch(url, {"buying_factor": "price", "buying_factor_second": "price"}, content_type="application/json")
    assert bad.status_code == 400
    ok = client.patch(url, {"buying_factor": "price", "buying_factor_second": "value"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["buying_factor_second"] == "value"
    opp = _opp(customer_a, rep_a, "first_contact", None, "O-API", "price")
    url = reverse("api:opportunity-detail", args=[opp.pk])
    bad = client.patch(url, {"buying_factor_second": "price"}, content_type="application/json")
    assert bad.status_code == 400
    ok = client.patch(url, {"buying_factor_second": "innovation"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["buying_factor_second"] == "innovation"


@pytest.mark.django_db
def test_system_migrations_match_the_models_and_apply():
    from django.core.management import call_command
    from django.db import connection

    call_command("makemigrations", "customers", "sales", "--check", "--dry-run", stdout=io.StringIO())  # SystemExit if not
    names = {c["name"] if isinstance(c, dict) else c for c in connection.introspection.get_constraints(connection.cursor(), "customers_customer")}
    assert {"customer_buying_factors_ranked", "customer_factors_idx"} <= names


@pytest.mark.django_db
def test_user_edits_the_opportunitys_pair_on_its_edit_page(login_en, customer_a, rep_a):
    opp = _opp(customer_a, rep_a, "first_contact", None, "O-E", "price")
    client = login_en(rep_a)
    url = reverse("sales:opportunity-edit", args=[opp.pk])
    form = client.get(url).context["form"]
    data = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    response = client.post(url, {**data, "buying_factor_second": "price"})
    assert response.status_code == 200 and "The second buying factor must differ from the primary one." in response.content.decode()
    response = client.post(url, {**data, "buying_factor_second": "relationship"})
    assert response.status_code == 302
    opp.refresh_from_db()
    assert (opp.buying_factor, opp.buying_factor_second) == ("price", "relationship")

"""The customer page at scale, second pass (issue 13): at most 15 queries with several rows in every
section, each read once; what each panel shows is what it showed when it read on its own (the
shared reads are compared with the panels' own reads); the ranking and archive panels drawn after
the page through `customers:panels`, with the page's visibility."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kehu.activities.models import Activity
from kehu.customers.services.archive import archive_section_update
from kehu.customers.models import ArchiveSection, CategorySpend, Customer, PoolEvent, QualificationCheck, QualificationItem
from kehu.customers.services.records import contact_create, customer_update
from kehu.finance.models import Instalment, Payment, Receivable
from kehu.ranking.models import EvaluationResult, EvaluationRun, TierPolicy
from kehu.sales.models import Contract, Opportunity, OpportunityStage, OrderLine, Product, Quote, SalesOrder

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate()


def _world(cast, n=4):
    """customer_a with `n` rows (or so) in every section of its page."""
    rep, customer = cast["rep_a"], cast["customer_a"]
    customer_update(actor=rep, customer=customer, data={"phone": "010-1"}, tags=["乙", "甲", "丙"])
    customer_update(actor=cast["admin"], customer=customer, data={"referrer_customer": cast["pool_customer"]})
    Customer.objects.filter(pk=customer.pk).update(stage=Customer.Stage.PROSPECT, pyramid_tier="important", value_class="diamond",
                                                   credit_limit=D("5000.00"))
    for i in range(n):
        contact_create(actor=rep, customer=customer, data={"name": f"联系人{i}", "decision_role": "decision_maker" if i == 0 else ""})
    items = [QualificationItem.objects.create(name=f"条件{i}", name_en=f"item {i}", position=i) for i in range(n)]
    QualificationCheck.objects.create(customer=customer, item=items[0], checked_by=rep, note="ok")
    QualificationCheck.objects.create(customer=customer, item=items[1], checked_by=None)
    stages = {s.code: s for s in OpportunityStage.objects.all()}
    product = Product.objects.get_or_create(code="P-CP", defaults={"name": "产品", "list_price": D("10.00"), "unit_cost": D("1.00")})[0]
    for i in range(n):
        opp = Opportunity.objects.create(code=f"O-CP{i}", customer=customer, owner=rep, title=f"deal {i}", amount=D("100.00"),
                                         stage=stages["won" if i == 0 else ("lost" if i == 1 else "proposal")],
                                         expected_close_on=None if i == 2 else TODAY + timedelta(days=i))
        Activity.objects.create(customer=customer, owner=rep, status="planned", due_on=TODAY + timedelta(days=i - 1), summary=f"p{i}")
        Activity.objects.create(customer=customer, owner=rep, status="done", at=timezone.now() - timedelta(days=i), summary=f"d{i}",
                                opportunity=opp)
        Quote.objects.create(code=f"Q-CP{i}", customer=customer, owner=rep, opportunity=opp, status=Quote.Status.DRAFT, total=D("90.00"))
        contract = Contract.objects.create(code=f"K-CP{i}", customer=customer, owner=rep, signed_on=TODAY - timedelta(days=200 + i),
                                           amount=D("1000.00"), currency="USD" if i == 3 else "CNY")
        Instalment.objects.create(contract=contract, seq=1, due_on=TODAY - timedelta(days=100), amount=D("500.00"), applied=D("500.00"),
                                  paid_in_full_on=TODAY - timedelta(days=100 - i * 10))
        Instalment.objects.create(contract=contract, seq=2, due_on=TODAY - timedelta(days=45 * i), amount=D("500.00"), applied=D("120.00"))
        order = SalesOrder.objects.create(code=f"S-CP{i}", customer=customer, owner=rep, order_date=TODAY - timedelta(days=i),
                                          status=SalesOrder.Status.CONFIRMED if i % 2 else SalesOrder.Status.SHIPPED)
        OrderLine.objects.create(order=order, product=product, quantity=D("1"), unit_price=D("77.00"), unit_cost=D("1"),
                                 revenue=D("77.00"), cost=D("1"))
        receivable = Receivable.objects.create(customer=customer, order=order, amount=D("300.00"), open_amount=D("300.00") if i else D("0"),
                                               issued_on=TODAY - timedelta(days=40 * i + 30), due_on=TODAY - timedelta(days=40 * i - 5))
        Payment.objects.create(code=f"P-CP{i}", customer=customer, receivable=receivable, contract=contract if i == 1 else None,
                               paid_on=TODAY - timedelta(days=i), amount=D("1.00"), recorded_by=rep)
        PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.CLAIM if i % 2 else PoolEvent.Kind.RELEASE, user=rep if i else None,
                                 on_date=TODAY, reason=f"r{i}")
        CategorySpend.objects.create(customer=customer, category=f"品类{i}", year=2025, annual_spend=D("1000.00"), updated_by=rep,
                                    updated_at=timezone.now())
    archive_section_update(actor=rep, customer=customer, section=ArchiveSection.Section.PRODUCTION_SCALE, text="三条产线")
    run = EvaluationRun.objects.create(model="pyramid", as_of=date(2026, 6, 30), params={})
    EvaluationResult.objects.create(run=run, customer=customer, position=0, rank=3, klass="important", indicators={},
                                    sales=D("1.00"), profit=D("1.00"), score=D("0.1234"))
    TierPolicy.objects.create(model="pyramid", klass="important", max_discount_pct=D("12"))
    customer.refresh_from_db()
    return customer


# The cast's manager and director see their teams: one query more for the team (the scope); the
# approvals badge of the header counts for the manager, director and admin.
@pytest.mark.parametrize("who,most", [("rep_a", 13), ("admin", 14), ("finance", 13), ("manager_a", 15), ("director", 15)])
def test_the_page_runs_at_most_15_queries_with_rows_in_every_section(who, most, cast, login, django_assert_max_num_queries):
    customer = _world(cast)
    client = login(cast[who])
    url = reverse("customers:detail", args=[customer.pk])
    client.get(url)
    with django_assert_max_num_queries(most):
        body = client.get(url).content.decode()
    for text in ("联系人3", "deal 3", "Q-CP3", "K-CP3", "S-CP3", "P-CP3", "d3", "p3", "条件3", "甲", "lazy-ranking", "lazy-archive"):
        assert text in body, text


def test_each_table_is_read_once(cast, login):
    customer = _world(cast, n=6)
    client = login(cast["director"])
    url = reverse("customers:detail", args=[customer.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    main = {}
    for q in ctx.captured_queries:
        if q["sql"].startswith(("SELECT COUNT(*)", "SELECT (SELECT COUNT(*)")):  # the header's badges (base.html), one query
            continue
        table = q["sql"].split(" FROM ", 1)[1].split()[0]
        main[table] = main.get(table, 0) + 1
    # the user twice: the signed-in user (middleware) and the director's team (scope)
    assert all(n == 1 for table, n in main.items() if table != '"accounts_user"'), main


@pytest.mark.parametrize("key,marker", [("ranking", 'data-testid="ranking-panel"'), ("archive", 'data-testid="archive-panel"')])
def test_lazy_panels_load_with_the_page_visibility(key, marker, cast, login, django_assert_max_num_queries):
    customer = _world(cast)
    url = reverse("customers:panels", args=[customer.pk]) + f"?key={key}"
    rep_a = login(cast["rep_a"])
    assert f'hx-get="{url}"' in rep_a.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    with django_assert_max_num_queries(10):
        fragment = rep_a.get(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and marker in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    page = rep_a.get(url)  # without JavaScript: a page of its own
    assert page.status_code == 200 and marker in page.content.decode() and "<html" in page.content.decode()
    for stranger in ("rep_b", "rep_a2"):
        assert login(cast[stranger]).get(url, HTTP_HX_REQUEST="true").status_code == 404
    assert login(cast["rep_b"]).get(reverse("customers:panels", args=[999999])).status_code == 404


def test_ranking_panel_shows_the_result_and_terms(cast, login_en):
    customer = _world(cast)
    html = login_en(cast["rep_a"]).get(reverse("customers:panels", args=[customer.pk]) + "?key=ranking").content.decode()
    assert "rank 3" in html and "score" in html and 'data-testid="policy-max_discount_pct">12' in html


def test_archive_placeholder_is_empty_when_the_panel_is(cast, login):
    customer = cast["customer_b"]
    body = login(cast["finance"]).get(reverse("customers:panels", args=[customer.pk]) + "?key=archive", HTTP_HX_REQUEST="true")
    assert body.status_code == 200 and body.content.decode().strip() == ""


# --- the shared reads give what the panels' own reads gave ---------------------------------------

def test_money_facts_equal_aging_credit_use_and_signed_status(cast):
    from kehu.finance.aging import customer_aging
    from kehu.finance.customer_page import page_facts
    from kehu.finance.lifecycle import customer_signed_status
    from kehu.finance.services.credit import credit_use

    customer = _world(cast)
    Customer.objects.filter(pk=customer.pk).update(payment_attitude=Customer.PaymentAttitude.DIFFICULT)
    customer.refresh_from_db()
    for day in (TODAY, TODAY - timedelta(days=60), TODAY + timedelta(days=200), date(2020, 1, 1)):
        facts = page_facts(customer, today=day)
        aging = customer_aging(user=cast["director"], customer=customer, as_of=day)
        assert [(r.currency, r.buckets, r.is_at_risk, r.owner_id) for r in facts.aging.per_currency] == [
            (r.currency, r.buckets, r.is_at_risk, r.owner_id) for r in aging.per_currency]
        assert facts.aging.is_at_risk == aging.is_at_risk
        use = credit_use(customer, today=day)
        assert (facts.use.receivables, facts.use.instalments, facts.use.unshipped, facts.use.total, facts.use.limit, facts.use.currency) == (
            use.receivables, use.instalments, use.unshipped, use.total, use.limit, use.currency)
        assert sorted(facts.use.open_rows) == sorted(use.open_rows)
        assert facts.signed == customer_signed_status(customer_ids=[customer.pk], as_of=day)[customer.pk]
    facts = page_facts(customer, today=TODAY)
    assert facts.use.unshipped == D("154.00")  # orders 1 and 3: confirmed, no contract
    assert [r.currency for r in facts.aging.per_currency] == ["CNY", "USD"]


def test_money_facts_of_a_customer_without_money(cast):
    from kehu.finance.customer_page import page_facts

    facts = page_facts(cast["customer_b"], today=TODAY)
    assert facts.aging.per_currency == [] and facts.use.total == D("0.00") and not facts.signed.is_signed


def test_shared_reads_equal_the_panels_own(cast):
    from kehu.activities import selectors as activities
    from kehu.customers import selectors
    from kehu.customers.qualification import checklist_rows
    from kehu.finance import selectors as finance
    from kehu.sales import selectors as sales

    _world(cast, n=14)
    user = cast["rep_a"]

    def page_customer():
        customer = selectors.customer_detail(user=user, pk=cast["customer_a"].pk)
        selectors.page_memo_start(customer, user)
        return customer

    plain = Customer.objects.get(pk=cast["customer_a"].pk)
    shared = page_customer()
    assert [t.name for t in shared.tag_list] == [t.name for t in plain.tags.all()] == ["丙", "乙", "甲"] or \
        [t.name for t in shared.tag_list] == [t.name for t in plain.tags.all()]
    assert [(o.pk, o.stage_id) for o in sales.open_opportunities_of(shared)] == [(o.pk, o.stage_id) for o in sales.open_opportunities_of(plain)]
    assert [o.pk for o in sales.customer_deals_opportunities(user=user, customer=shared, limit=11)] == [
        o.pk for o in sales.customer_deals_opportunities(user=user, customer=plain, limit=11)]
    for read in (finance.customer_contracts, finance.customer_orders, finance.customer_payments):
        for limit in (3, 10, 30):
            assert [o.pk for o in read(user=user, customer=page_customer(), limit=limit)] == [
                o.pk for o in read(user=user, customer=plain, limit=limit)]

    def timeline(customer):
        return [(e.at, e.kind, e.label, e.text, e.by, e.extra) for e in activities.customer_timeline(customer=customer, user=user, limit=30)]

    assert timeline(page_customer()) == timeline(plain)
    assert [(a.pk, a.state) for a in activities.planned_open(customer=page_customer(), user=user)] == [
        (a.pk, a.state) for a in activities.planned_open(customer=plain, user=user)]
    pool = [e for e in activities.customer_timeline(customer=page_customer(), user=user, limit=30) if e.kind == "pool"]
    assert pool and {e.by for e in pool} == {str(user)}

    def rows(customer):
        return [(r["item"].pk, r["check"] and (r["check"].pk, r["check"].note, r["check"].checked_at, str(r["check"].checked_by or "")))
                for r in checklist_rows(customer=customer)]

    expected = []
    checks = {c.item_id: c for c in QualificationCheck.objects.filter(customer=plain).select_related("checked_by")}
    for item in QualificationItem.objects.filter(is_active=True).order_by("position", "id"):
        c = checks.get(item.pk)
        expected.append((item.pk, c and (c.pk, c.note, c.checked_at, str(c.checked_by or ""))))
    assert rows(page_customer()) == rows(plain) == expected and expected[0][1][3] == str(user) and expected[1][1][3] == "" and expected[2][1] is None


def test_undated_open_opportunities_keep_the_database_order(cast):
    from kehu.customers import selectors
    from kehu.sales.selectors import open_opportunities_of

    customer = cast["customer_a"]
    stage = OpportunityStage.objects.get(code="proposal")
    for i, day in enumerate((None, TODAY, None, TODAY - timedelta(days=3), TODAY)):
        Opportunity.objects.create(code=f"O-U{i}", customer=customer, owner=cast["rep_a"], title=f"u{i}", amount=D("1.00"), stage=stage,
                                   expected_close_on=day)
    shared = selectors.customer_detail(user=cast["rep_a"], pk=customer.pk)
    selectors.page_memo_start(shared, cast["rep_a"])
    expected = list(Opportunity.objects.filter(customer=customer, stage__is_closed=False).order_by("expected_close_on", "pk"))
    assert [o.pk for o in open_opportunities_of(shared)] == [o.pk for o in expected]


def test_pool_events_read_with_the_customer_equal_their_own_read(cast):
    from kehu.activities.selectors import _pool_entries
    from kehu.customers import selectors

    _world(cast)
    plain = Customer.objects.get(pk=cast["customer_a"].pk)
    shared = selectors.customer_detail(user=cast["rep_a"], pk=plain.pk)
    selectors.page_memo_start(shared, cast["rep_a"])

    def entries(customer):
        return [(e.at, e.label, e.text, e.by, e.extra) for e in _pool_entries(customer=customer, limit=30)]

    assert entries(shared) == entries(plain)
    with translation.override("en"):
        assert [e[3] for e in entries(shared)] == ["rep_a", "rep_a", "rep_a", "System"]
    assert len(shared.recent_pool_events) == 4

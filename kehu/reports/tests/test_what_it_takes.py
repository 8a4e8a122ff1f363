"""What it takes (docs/rules.md "### What it takes"): the gap, the rep's own rates over the 12
months before the period, each count rounded up from the one before, the team's and then the
company's rates when the rep has none, on target at a gap ≤ 0; scope, pages, bad filters, queries."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.customers.summaries import stage_months_rebuild
from kehu.planning.periods import parse_period
from kehu.reports.filters import ReportFilter
from kehu.reports.selectors.what_it_takes import COMPANY, NONE, OWN, TEAM, Rate, needs, what_it_takes

D = Decimal
URL = "/reports/what-it-takes/"


def at(y, m, d):
    return timezone.make_aware(datetime(y, m, d, 10))


def test_needs_rounds_each_count_up_from_the_previous_whole_number():
    # 8,000 to go at 7,000 ÷ 2 deals: ⌈2.285…⌉ = 3 deals; 2 won per 3 qualified: ⌈4.5⌉ = 5; 3 qualified per 4 prospects: ⌈6.67⌉ = 7
    assert needs(gap=D("8000.00"), deal_size=Rate(OWN, D("7000.00"), 2), win_rate=Rate(OWN, 2, 3), qualify_rate=Rate(OWN, 3, 4)) == (3, 5, 7)
    # exact: no rounding up of a whole result (6,000 at 3,000 = 2 deals exactly)
    assert needs(gap=D("6000.00"), deal_size=Rate(OWN, D("9000.00"), 3), win_rate=Rate(OWN, 1, 1), qualify_rate=Rate(OWN, 1, 2)) == (2, 2, 4)
    # a cent over: one more deal
    assert needs(gap=D("6000.01"), deal_size=Rate(OWN, D("9000.00"), 3), win_rate=Rate(OWN, 1, 1), qualify_rate=Rate(OWN, 1, 2))[0] == 3
    # a missing rate stops the chain there, never divides by zero
    assert needs(gap=D("100.00"), deal_size=Rate(NONE), win_rate=Rate(NONE), qualify_rate=Rate(NONE)) == (None, None, None)
    assert needs(gap=D("100.00"), deal_size=Rate(OWN, D("50.00"), 1), win_rate=Rate(NONE), qualify_rate=Rate(OWN, 1, 1)) == (2, None, None)
    assert needs(gap=D("100.00"), deal_size=Rate(OWN, D("50.00"), 1), win_rate=Rate(OWN, 1, 2), qualify_rate=Rate(NONE)) == (2, 4, None)


@pytest.fixture
def world(cast):
    """June 2026; history = June 2025 – May 2026.
    rep_a (team A): target 10,000.00, won 2,000.00 in June; history: 2 deals 7,000.00, 3 qualified, 4 prospects.
    rep_a2 (team A): target 5,000.00, nothing won, no history → team A's rates (= rep_a's).
    rep_b (team B): target 5,000.00, won 1,500.00; history: 1 deal 5,000.00, no stage moves → the company's rates.
    rep_d (team B): target 1,000.00, won 1,000.00: on target (gap 0).
    rep_c (no team): target 2,000.00, no history → the company's rates (3 deals 12,000.00, 3 qualified, 4 prospects)."""
    from factories import CustomerFactory, UserFactory
    from kehu.customers.models import CustomerStageChange
    from kehu.planning.models import Target
    from kehu.sales.models import Opportunity, OpportunityStage

    rep_a, rep_a2, rep_b = cast["rep_a"], cast["rep_a2"], cast["rep_b"]
    rep_c = UserFactory(username="rep_c", role="rep", team=None, name="rep_c")
    rep_d = UserFactory(username="rep_d", role="rep", team=rep_b.team, name="rep_d")
    won = OpportunityStage.objects.get(code="won")
    n = iter(range(100))

    def deal(owner, amount, closed):
        customer = CustomerFactory(owner=owner, name=f"W{next(n)}", code=f"W{next(n)}")
        Opportunity.objects.create(code=f"O{next(n)}", customer=customer, owner=owner, title="x", stage=won, amount=amount, closed_on=closed)

    deal(rep_a, "3000.00", date(2025, 6, 1))  # first day of the history
    deal(rep_a, "4000.00", date(2026, 5, 31))  # last day of the history
    deal(rep_a, "2000.00", date(2026, 6, 10))  # this period
    deal(rep_a, "99999.00", date(2025, 5, 31))  # before the history: ignored
    deal(rep_b, "5000.00", date(2026, 1, 10))
    deal(rep_b, "1500.00", date(2026, 6, 2))
    deal(rep_d, "1000.00", date(2026, 6, 3))
    for i in range(4):
        customer = CustomerFactory(owner=rep_a, name=f"P{i}", code=f"P{i}")
        CustomerStageChange.objects.create(customer=customer, to_stage="prospect", at=at(2025, 9, 1 + i))
        if i < 3:
            CustomerStageChange.objects.create(customer=customer, to_stage="qualified", at=at(2025, 10, 1 + i))
    late = CustomerFactory(owner=rep_a, name="L", code="L1")
    CustomerStageChange.objects.create(customer=late, to_stage="qualified", at=at(2026, 6, 1))  # this period: not history
    for user, amount in ((rep_a, "120000.00"), (rep_a2, "60000.00"), (rep_b, "60000.00"), (rep_d, "12000.00"), (rep_c, "24000.00")):
        Target.objects.create(scope="user", user=user, year=2026, amount=amount)
    stage_months_rebuild()  # stage changes written past the services: the summary by hand
    return {**cast, "rep_c": rep_c, "rep_d": rep_d}


def flt_for(reader, **kw):
    return ReportFilter(reader=reader, period=parse_period("2026-06"), today=date(2026, 6, 15), **kw)


def table(reader):
    return {n.rep.username: n for n in what_it_takes(flt_for(reader))}


@pytest.mark.django_db
def test_own_rates_team_and_company_fallbacks_and_on_target(world):
    rows = table(world["admin"])
    assert list(rows) == ["rep_a", "rep_a2", "rep_b", "rep_c", "rep_d"]
    a = rows["rep_a"]
    assert (a.target_amount, a.won, a.gap, a.on_target) == (D("10000.00"), D("2000.00"), D("8000.00"), False)
    assert (a.history.won_count, a.history.won_amount, a.history.qualified, a.history.prospects) == (2, D("7000.00"), 3, 4)
    assert a.average_deal == D("3500.00") and {a.deal_size.source, a.win_rate.source, a.qualify_rate.source} == {OWN}
    assert (a.deals, a.qualified, a.prospects) == (3, 5, 7)

    a2 = rows["rep_a2"]
    assert a2.gap == D("5000.00") and {a2.deal_size.source, a2.win_rate.source, a2.qualify_rate.source} == {TEAM}
    assert (a2.deals, a2.qualified, a2.prospects) == (2, 3, 4)  # ⌈5000/3500⌉, ⌈2·3/2⌉, ⌈3·4/3⌉

    b = rows["rep_b"]
    assert b.gap == D("3500.00") and b.deal_size.source == OWN and b.average_deal == D("5000.00")
    assert (b.win_rate.source, b.win_rate.num, b.win_rate.den) == (COMPANY, 3, 3)  # team B has no qualified either
    assert (b.qualify_rate.source, b.qualify_rate.num, b.qualify_rate.den) == (COMPANY, 3, 4)
    assert (b.deals, b.qualified, b.prospects) == (1, 1, 2)

    c = rows["rep_c"]  # no team: straight to the company (3 deals, 12,000.00)
    assert c.deal_size.source == COMPANY and c.average_deal == D("4000.00")
    assert (c.deals, c.qualified, c.prospects) == (1, 1, 2)

    d = rows["rep_d"]
    assert d.gap == D("0.00") and d.on_target and d.deals is None


@pytest.mark.django_db
def test_nobody_has_history_says_so(cast):
    from kehu.planning.models import Target

    Target.objects.create(scope="user", user=cast["rep_a"], year=2026, amount="12000.00")
    n = table(cast["admin"])["rep_a"]
    assert n.gap == D("1000.00") and n.deal_size.source == NONE and (n.deals, n.qualified, n.prospects) == (None, None, None)
    assert table(cast["admin"])["rep_b"].target_amount is None


@pytest.mark.django_db
@pytest.mark.parametrize("who, expected", [
    ("rep_a", ["rep_a"]),
    ("manager_a", ["rep_a", "rep_a2"]),
    ("director", ["rep_a", "rep_a2", "rep_b", "rep_d"]),
    ("finance", ["rep_a", "rep_a2", "rep_b", "rep_c", "rep_d"]),
    ("admin", ["rep_a", "rep_a2", "rep_b", "rep_c", "rep_d"]),
])
def test_each_role_sees_its_scope(world, login, who, expected):
    response = login(world[who]).get(URL, {"period": "2026-06"})
    assert response.status_code == 200
    assert [n.rep.username for n in response.context["rows"]] == expected


@pytest.mark.django_db
def test_page_in_english_and_chinese(world, login, login_en):
    body = login_en(world["admin"]).get(URL, {"period": "2026-06"}).content.decode()
    assert "¥8,000.00 to go: about 3 deals of ~¥3,500.00" in body
    assert "5 qualified customers at 2 won per 3 qualified" in body and "7 new prospects at 3 qualified per 4 prospects" in body
    assert "On target" in body and ">team's<" in body and ">company's<" in body
    body = login(world["director"]).get(URL, {"period": "2026-06"}).content.decode()
    assert "还差 ¥8,000.00" in body and "达标" in body


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"period": "2026-W10"}, {"period": "2026"}, {"period": "junk"}, {"team": "999999"}, {"rep": "x"}])
def test_bad_filters_give_a_message_not_a_500(world, login, params):
    response = login(world["director"]).get(URL, params)
    assert response.status_code == 200 and 'data-testid="filter-problem"' in response.content.decode()


@pytest.mark.django_db
def test_quarter_and_query_count(world, login, django_assert_max_num_queries):
    client = login(world["admin"])
    assert client.get(URL, {"period": "2026-Q2"}).status_code == 200
    with django_assert_max_num_queries(8):
        what_it_takes(flt_for(world["admin"]))


def _key(n):
    rates = tuple((r.source, r.num, r.den) for r in (n.deal_size, n.win_rate, n.qualify_rate))
    h = n.history
    return (n.target_amount, n.won, (h.won_count, h.won_amount, h.qualified, h.prospects), rates, n.deals, n.qualified, n.prospects)


@pytest.mark.django_db
def test_a_reps_rates_do_not_depend_on_the_readers_scope(world):
    """The fallbacks are computed only when needed (a team's from its members, the company's from
    one aggregate when not every rep is in scope): the same Need as from the whole company's."""
    whole = {u: _key(n) for u, n in table(world["admin"]).items()}
    for reader in ("rep_a", "rep_a2", "rep_b", "rep_c", "rep_d", "manager_a", "director"):
        for username, n in table(world[reader]).items():
            assert _key(n) == whole[username], (reader, username)
    for username in whole:
        rows = what_it_takes(flt_for(world["admin"], rep=world[username]))
        assert [_key(n) for n in rows] == [whole[username]]


@pytest.mark.django_db
def test_company_history_is_the_sum_over_the_reps(world):
    """`company_history` (one aggregate) = Σ `histories` over every user with the rep role: the
    customers in the recycle bin, merged away, in the public pool or owned by a manager left out."""
    from factories import CustomerFactory
    from kehu.accounts.models import User
    from kehu.customers.models import CustomerStageChange
    from kehu.reports.selectors.what_it_takes import History, company_history, histories

    start = date(2026, 6, 1)
    gone = CustomerFactory(owner=world["rep_b"], name="G", code="G1")
    gone.is_deleted = True
    gone.save()
    merged = CustomerFactory(owner=world["rep_b"], name="M", code="M1")
    merged.merged_into = CustomerFactory(owner=world["rep_b"], name="M2", code="M2")
    merged.save()
    pool = CustomerFactory(owner=None, name="Pool", code="PL1")
    managed = CustomerFactory(owner=world["manager_a"], name="Mgr", code="MG1")
    kept = CustomerFactory(owner=world["rep_b"], name="K", code="K1")
    for c in (gone, merged, pool, managed, kept):
        CustomerStageChange.objects.create(customer=c, to_stage="prospect", at=at(2025, 12, 1))
        CustomerStageChange.objects.create(customer=c, to_stage="prospect", at=at(2025, 12, 2))  # twice: one customer
    stage_months_rebuild()  # written past the services: the summary by hand
    total = History()
    for h in histories(start=start, rep_ids=list(User.objects.filter(role="rep").values_list("pk", flat=True))).values():
        total.add(h)
    company = company_history(start=start)
    assert company == total
    assert (company.won_count, company.won_amount, company.qualified, company.prospects) == (3, D("12000.00"), 3, 5)

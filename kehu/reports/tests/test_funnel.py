"""The funnel report (docs/rules.md "### Funnel") on a small hand-made world, period 2026-Q2.

Lifecycle (stage changes; c1, c2 rep_a's, c3 rep_a2's, c4, c5 rep_b's):
  c1 referral    target→prospect 04-05, →qualified 05-01, →signed 06-01   (now signed)
  c2 conference  target→prospect 04-10                                      (now prospect)
  c3 conference  target→signed 05-05 (skips prospect and qualified)         (now signed)
  c4 referral    →prospect 03-20 (before), →qualified 04-20                 (now qualified)
  c5 internet    target→prospect 07-02 (after)                              (now prospect)
Opportunities (fc first contact, nc needs confirmed, pr proposal, ng negotiation):
  o1 rep_a  c1 1000.00  fc 04-01, pr 04-11, won 05-11 (created 04-01)
  o2 rep_a  c2  500.00  fc 04-03, nc 04-06, lost 04-20
  o3 rep_b  c4 2000.01  fc 03-01, ng 04-01, won 06-30 (created 03-01)
  o4 rep_a2 c3  300.00  fc 05-01 (open)
  o5 rep_b  c4  700.00  fc 02-01, nc 03-01, lost 07-05 (after)
  o6 rep_a  c1  100.00  fc 04-01, nc 04-06 (open)
"""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_customer
from kehu.customers.models import Customer, CustomerStageChange
from kehu.reports.filters import ReportFilter
from kehu.reports.selectors.funnel import funnel_report, median, p75
from kehu.planning.periods import parse_period
from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange

D = Decimal
Q2 = "2026-Q2"


def at(month, day, hour=10):
    return timezone.make_aware(datetime(2026, month, day, hour))


@pytest.fixture
def world(cast):
    rep_a, rep_a2, rep_b = cast["rep_a"], cast["rep_a2"], cast["rep_b"]
    S = Customer.Stage
    c1 = make_customer(rep_a, "甲一", "W1", lead_source="referral", stage=S.SIGNED)
    c2 = make_customer(rep_a, "甲二", "W2", lead_source="conference", stage=S.PROSPECT)
    c3 = make_customer(rep_a2, "甲三", "W3", lead_source="conference", stage=S.SIGNED)
    c4 = make_customer(rep_b, "乙四", "W4", lead_source="referral", stage=S.QUALIFIED)
    c5 = make_customer(rep_b, "乙五", "W5", lead_source="internet", stage=S.PROSPECT)
    for c, frm, to, when in [
        (c1, "target", "prospect", at(4, 5)), (c1, "prospect", "qualified", at(5, 1)), (c1, "qualified", "signed", at(6, 1)),
        (c2, "target", "prospect", at(4, 10)), (c3, "target", "signed", at(5, 5)),
        (c4, "target", "prospect", at(3, 20)), (c4, "prospect", "qualified", at(4, 20)), (c5, "target", "prospect", at(7, 2)),
    ]:
        CustomerStageChange.objects.create(customer=c, from_stage=frm, to_stage=to, at=when)
    st = {s.code: s for s in OpportunityStage.objects.all()}

    def opp(code, owner, customer, amount, history, closed_on=None):
        o = Opportunity.objects.create(code=code, customer=customer, owner=owner, title=code, stage=st[history[-1][0]],
                                       amount=D(amount), closed_on=closed_on)
        Opportunity.objects.filter(pk=o.pk).update(created_at=history[0][1])
        prev = None
        for stage, when in history:
            OpportunityStageChange.objects.create(opportunity=o, from_stage=prev, to_stage=st[stage], at=when)
            prev = st[stage]
        return o

    opp("O1", rep_a, c1, "1000.00", [("first_contact", at(4, 1)), ("proposal", at(4, 11)), ("won", at(5, 11))], date(2026, 5, 11))
    opp("O2", rep_a, c2, "500.00", [("first_contact", at(4, 3)), ("needs_confirmed", at(4, 6)), ("lost", at(4, 20))], date(2026, 4, 20))
    opp("O3", rep_b, c4, "2000.01", [("first_contact", at(3, 1)), ("negotiation", at(4, 1)), ("won", at(6, 30))], date(2026, 6, 30))
    opp("O4", rep_a2, c3, "300.00", [("first_contact", at(5, 1))])
    opp("O5", rep_b, c4, "700.00", [("first_contact", at(2, 1)), ("needs_confirmed", at(3, 1)), ("lost", at(7, 5))], date(2026, 7, 5))
    opp("O6", rep_a, c1, "100.00", [("first_contact", at(4, 1)), ("needs_confirmed", at(4, 6))])
    return {**cast, "c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5}


def report_for(user, **kw):
    return funnel_report(ReportFilter(reader=user, period=parse_period(Q2), today=date(2026, 6, 15), **kw))


def by(rows, attr="key"):
    return {getattr(r, attr): r for r in rows}


def test_system_median_and_nearest_rank_p75():
    assert median([10, 3, 31, 5]) == D("7.5")
    assert median([4, 1, 9]) == 4
    assert p75([10, 3, 31, 5]) == 10  # ⌈0.75·4⌉ = 3rd of 3 5 10 31
    assert p75([1, 2, 3, 4, 5]) == 4  # ⌈3.75⌉ = 4th
    assert p75([7]) == 7 and median([]) is None and p75([]) is None


@pytest.mark.django_db
def test_director_sees_the_lifecycle_counts_now_reached_and_conversion(world):
    report = report_for(world["director"])
    rows = by(report.lifecycle)
    # now: the 3 cast customers with an owner (target) and c1..c5; the pool is nobody's team's
    assert [(k, rows[k].now) for k in Customer.Stage.values] == [("target", 3), ("prospect", 2), ("qualified", 1), ("signed", 2), ("vip", 0)]
    assert by(report_for(world["admin"]).lifecycle)["target"].now == 4  # the admin sees the company: the pool too
    # reached in Q2: a later stage counts the earlier ones (c3 skipped to signed; c4 qualified in Q2)
    assert [rows[k].reached for k in Customer.Stage.values] == [4, 4, 3, 2, 0]
    assert [rows[k].conversion for k in Customer.Stage.values] == [D("1.0000"), D("0.7500"), D("0.6667"), D("0.0000"), None]


@pytest.mark.django_db
def test_director_sees_opportunity_stages_velocity_win_rate_deal_size_cycle(world):
    report = report_for(world["director"])
    rows = by(report.stages, "label")
    names = ["初次联系", "需求确认", "方案提交", "商务谈判", "签约"]
    assert [r.label for r in report.stages] == names  # lost is not in the sequence
    assert [rows[n].reached for n in names] == [5, 4, 2, 2, 2]
    assert [rows[n].conversion for n in names] == [D("0.8000"), D("0.5000"), D("1.0000"), D("1.0000"), None]
    assert report.lost == 1  # O2 in Q2 (O5 lost in July)
    # first contact stays ended in Q2: O1 10 days, O2 3, O3 31, O6 5 → median 7.5, p75 10
    assert (rows["初次联系"].stays, rows["初次联系"].median_days, rows["初次联系"].p75_days) == (4, D("7.5"), D(10))
    assert (rows["需求确认"].median_days, rows["需求确认"].p75_days) == (D(14), D(14))  # O2 04-06 → 04-20
    assert (rows["方案提交"].median_days, rows["商务谈判"].median_days, rows["签约"].median_days) == (D(30), D(90), None)
    assert (report.won, report.closed_lost, report.win_rate) == (2, 1, D("0.6667"))
    assert (report.won_amount, report.deal_size) == (D("3000.01"), D("1500.01"))  # 1500.005 half-up
    assert (report.cycle_median, report.cycle_count) == (D("80.5"), 2)  # 40 and 121 days


@pytest.mark.django_db
def test_director_groups_by_rep_team_and_source(world):
    report = report_for(world["director"])
    reps = by(report.by_rep, "label")
    a, b, a2 = reps["rep_a"], reps["rep_b"], reps["rep_a2"]
    assert (a.prospects, a.signed, a.conversion, a.won, a.lost, a.win_rate, a.won_amount, a.deal_size, a.cycle_median) == (
        2, 1, D("0.5000"), 1, 1, D("0.5000"), D("1000.00"), D("1000.00"), D(40))
    assert (b.prospects, b.signed, b.won, b.win_rate, b.deal_size, b.cycle_median) == (1, 0, 1, D("1.0000"), D("2000.01"), D(121))
    assert (a2.prospects, a2.signed, a2.won, a2.win_rate) == (1, 1, 0, None)
    teams = by(report.by_team, "label")
    assert (teams["Team A"].prospects, teams["Team A"].signed, teams["Team A"].conversion) == (3, 2, D("0.6667"))
    assert (teams["Team B"].won, teams["Team B"].won_amount) == (1, D("2000.01"))
    sources = by(report.by_source)
    ref = sources["referral"]
    assert (ref.prospects, ref.signed, ref.won, ref.lost, ref.won_amount, ref.deal_size, ref.cycle_median) == (
        2, 1, 2, 0, D("3000.01"), D("1500.01"), D("80.5"))
    assert (sources["conference"].prospects, sources["conference"].lost, sources["conference"].win_rate) == (2, 1, D(0))


@pytest.mark.django_db
def test_filters_narrow_by_rep_team_and_source(world):
    director = world["director"]
    by_rep = report_for(director, rep=world["rep_b"])
    by_team = report_for(director, team=world["rep_b"].team)
    for r in (by_rep, by_team):
        assert (r.won, r.closed_lost, r.deal_size, r.cycle_median) == (1, 0, D("2000.01"), D(121))
        assert [x.reached for x in r.lifecycle] == [1, 1, 1, 0, 0]  # c4
        assert [x.now for x in r.lifecycle] == [1, 1, 1, 0, 0]  # customer_b, c5, c4 (no pool once a rep or team is chosen)
    src = report_for(director, lead_source="referral")
    assert (src.won, src.closed_lost, src.won_amount) == (2, 0, D("3000.01"))
    assert [x.reached for x in src.lifecycle] == [2, 2, 2, 1, 0]  # c1, c4


@pytest.mark.django_db
def test_rep_sees_own_manager_team_director_all(world):
    rep = report_for(world["rep_a"])
    assert [x.now for x in rep.lifecycle] == [1, 1, 0, 1, 0]  # customer_a, c2, c1: not the pool
    assert [x.reached for x in rep.lifecycle] == [2, 2, 1, 1, 0]
    assert (rep.won, rep.closed_lost, rep.deal_size, rep.cycle_median) == (1, 1, D("1000.00"), D(40))
    assert [g.label for g in rep.by_rep] == ["rep_a"]
    manager = report_for(world["manager_a"])
    assert [x.reached for x in manager.lifecycle] == [3, 3, 2, 2, 0]
    assert (manager.won, manager.closed_lost) == (1, 1)
    assert sorted(g.label for g in manager.by_rep) == ["rep_a", "rep_a2"]
    assert report_for(world["director"]).won == 2


@pytest.mark.django_db
def test_director_page_answers_in_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    client = login(world["director"])
    with django_assert_max_num_queries(22):
        response = client.get(reverse("reports:funnel"), {"period": Q2})
    assert response.status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("reports:funnel"), {"period": "2026-Q1"}).status_code == 200


@pytest.mark.django_db
def test_every_role_gets_the_page_in_chinese_and_english(world, login, login_en):
    for name in ("rep_a", "manager_a", "director", "finance", "admin"):
        response = login(world[name]).get(reverse("reports:funnel"), {"period": Q2})
        assert response.status_code == 200, name
        assert "漏斗" in response.content.decode() or "Funnel" in response.content.decode()
    page = login(world["director"]).get(reverse("reports:funnel"), {"period": Q2}).content.decode()
    assert "赢单率" in page and "66.67%" in page and "¥1,500.01" in page
    page = login_en(world["director"]).get(reverse("reports:funnel"), {"period": Q2}).content.decode()
    assert "Win rate" in page and "Average deal size" in page and "80.5" in page


@pytest.mark.django_db
def test_default_period_is_this_quarter(world, login):
    from kehu.planning.periods import period_of

    response = login(world["director"]).get(reverse("reports:funnel"))
    assert response.context["filter"].period == period_of("quarter", timezone.localdate())


@pytest.mark.django_db
def test_bad_filter_values_give_a_translated_message_not_a_500(world, login_en):
    client = login_en(world["rep_a"])
    response = client.get(reverse("reports:funnel"), {"period": "2026-Q9", "rep": world["rep_b"].pk, "source": "nope"})
    assert response.status_code == 200
    problems = [p for p in response.context["filter"].problems]
    assert len(problems) == 3 and any("nope" in p for p in problems)
    assert client.get(reverse("reports:funnel-export"), {"team": "x"}).status_code == 200
    zh = client.get(reverse("reports:funnel"), {"source": "nope"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200


@pytest.mark.django_db
def test_export_opens_with_openpyxl_and_has_the_rows(world, login):
    import io

    import openpyxl

    response = login(world["director"]).get(reverse("reports:funnel-export"), {"period": Q2})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheets = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets]
    life, stages, summary, reps = sheets[0], sheets[1], sheets[2], sheets[3]
    assert [r[2] for r in life[1:]] == [4, 4, 3, 2, 0]
    assert [r[1] for r in stages[1:]] == [5, 4, 2, 2, 2]
    values = {r[0]: r[1] for r in summary[1:]}
    assert D(str(values["平均成交额"] if "平均成交额" in values else list(values.values())[4])) == D("1500.01")
    assert {r[0] for r in reps[1:]} == {"rep_a", "rep_a2", "rep_b"}
    # a rep's export has only their own rows
    rep_book = openpyxl.load_workbook(io.BytesIO(login(world["rep_a"]).get(reverse("reports:funnel-export"), {"period": Q2}).content))
    assert {r[0] for r in list(rep_book.worksheets[3].iter_rows(values_only=True))[1:]} == {"rep_a"}


@pytest.mark.django_db
def test_the_customer_scope_is_the_filters_customers_owned_in_scope(world):
    """customer_q (a join) selects exactly flt.customers() ∩ owner in scope (the pool only for a
    reader who sees the company, with no team or rep chosen)."""
    from kehu.planning.querysets import sees_company
    from kehu.reports.selectors.funnel import customer_scope

    team_a = world["rep_a"].team
    for name in ("rep_a", "manager_a", "director", "finance", "admin"):
        for kw in ({}, {"team": team_a}, {"rep": world["rep_a"]}, {"lead_source": "referral"}):
            flt = ReportFilter(reader=world[name], period=parse_period(Q2), **kw)
            expected = flt.customers()
            if not (sees_company(flt.reader) and not kw.get("team") and not kw.get("rep")):
                expected = expected.filter(flt.user_q("owner"))
            assert set(customer_scope(flt).values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True)), (name, kw)


def test_system_cycle_length_counts_local_days_and_never_below_zero():
    from kehu.reports.selectors.funnel import cycle_length

    assert cycle_length(at(4, 1, 23), date(2026, 5, 11)) == 40  # 23:00 Shanghai is still 04-01 locally
    assert cycle_length(at(5, 12), date(2026, 5, 11)) == 0  # recorded the day after it was won


@pytest.mark.django_db
def test_a_zero_median_is_shown_as_zero_not_as_empty(world, login):
    from kehu.sales.models import Opportunity

    Opportunity.objects.filter(code__in=["O1", "O3"]).update(created_at=at(7, 1))  # recorded after being won: 0 days
    response = login(world["director"]).get(reverse("reports:funnel"), {"period": Q2})
    assert response.context["report"].cycle_median == 0
    assert 'data-testid="funnel-cycle">0<' in response.content.decode()

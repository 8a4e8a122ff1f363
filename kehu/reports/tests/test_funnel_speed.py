"""The funnel report's fast paths (docs/performance.md "## Funnel (issues 12 and 13, second pass)")
on the hand-made world of test_funnel.py, period 2026-Q2, with exact numbers:

- a fixed number of queries per page for every role, the same with more rows in every list;
- the whole company's stage changes leave out the opportunities of customers in the recycle bin
  and of customers merged away (two NOT IN lists), as a manager's joined path does;
- the closed opportunities read once, grouped: won deals recorded at the same moment and closed
  the same day each count (won, amount in cents, one cycle each), the recorded moment's LOCAL day;
- the stays: fractions of a day and microseconds (SQLite's text, PostgreSQL's native interval),
  a stage left, re-entered and left again (the latest entry at or before each leaving);
- the page shows the first rows of each group table, the export every row.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_customer
from kehu.customers.models import Customer, CustomerStageChange
from kehu.reports.tests.test_funnel import Q2, at, by, report_for, world  # noqa: F401 — the fixture
from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange

D = Decimal
FIRST, NEEDS = "初次联系", "需求确认"


def make_opp(code, owner, customer, amount, history, closed_on=None, created=None):
    """An opportunity with its stage changes (stage code, moment) in order; created at `created`
    (default: its first change)."""
    st = {s.code: s for s in OpportunityStage.objects.all()}
    o = Opportunity.objects.create(code=code, customer=customer, owner=owner, title=code, stage=st[history[-1][0]],
                                   amount=D(amount), closed_on=closed_on)
    Opportunity.objects.filter(pk=o.pk).update(created_at=created or history[0][1])
    prev = None
    for stage, when in history:
        OpportunityStageChange.objects.create(opportunity=o, from_stage=prev, to_stage=st[stage], at=when)
        prev = st[stage]
    return o


def more_rows(w, n):
    """n more customers and opportunities for each rep (stage changes, won and lost deals)."""
    for rep in (w["rep_a"], w["rep_a2"], w["rep_b"]):
        for i in range(n):
            c = make_customer(rep, f"多{rep.pk}-{i}", f"M{rep.pk}-{i}", lead_source=["internet", "referral", "phone"][i % 3])
            CustomerStageChange.objects.create(customer=c, from_stage="target", to_stage="prospect", at=at(4, 2 + i))
            make_opp(f"M{rep.pk}-{i}", rep, c, "10.00", [("first_contact", at(4, 2 + i)), ("proposal", at(4, 12 + i)),
                                                         ("won" if i % 2 else "lost", at(5, 2 + i))], date(2026, 5, 2 + i))


def page_queries(client, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("reports:funnel"), params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_page_answers_in_a_fixed_number_of_queries_for_every_role(world, login, django_assert_max_num_queries):
    clients = {name: login(world[name]) for name in ("director", "manager_a", "rep_a")}
    for client in clients.values():
        page_queries(client, {"period": Q2})  # the session and caches warm
    before = {name: page_queries(client, {"period": Q2}) for name, client in clients.items()}
    more_rows(world, 4)
    after = {name: page_queries(client, {"period": Q2}) for name, client in clients.items()}
    assert after == before  # no query per row
    limits = {"director": 12, "manager_a": 13, "rep_a": 10}  # at most 15 (issue 13)
    for name, client in clients.items():
        with django_assert_max_num_queries(limits[name]):
            assert client.get(reverse("reports:funnel"), {"period": Q2}).status_code == 200
        with django_assert_max_num_queries(limits[name]):  # a team or a source chosen
            assert client.get(reverse("reports:funnel"), {"period": Q2, "source": "referral"}).status_code == 200
    report = report_for(world["director"])
    assert (report.won, report.closed_lost) == (2 + 3 * 2, 1 + 3 * 2)  # the world's and 2 won + 2 lost for each rep


@pytest.mark.django_db
def test_opportunities_of_customers_in_the_recycle_bin_or_merged_away_are_left_out(world):
    expected = {name: report_for(world[name]) for name in ("director", "admin", "manager_a", "rep_b")}
    gone = make_customer(world["rep_b"], "丙六", "W6", lead_source="referral")
    merged = make_customer(world["rep_a"], "丙七", "W7", lead_source="referral")
    for code, c, owner in (("G1", gone, world["rep_b"]), ("G2", merged, world["rep_a"])):
        make_opp(code, owner, c, "800.00", [("first_contact", at(4, 2)), ("needs_confirmed", at(4, 9)), ("won", at(5, 9))],
                 date(2026, 5, 9))
        make_opp(code + "L", owner, c, "90.00", [("first_contact", at(4, 2)), ("lost", at(4, 30))], date(2026, 4, 30))
    # both count while the customers are alive …
    alive = report_for(world["director"])
    assert (alive.won, alive.closed_lost, alive.lost) == (4, 3, 3)
    assert by(alive.stages, "label")[FIRST].reached == 9
    # … and neither once one is in the recycle bin and the other merged away
    Customer.objects.filter(pk=gone.pk).update(is_deleted=True)
    Customer.objects.filter(pk=merged.pk).update(merged_into=world["c1"])
    for name, before in expected.items():
        now = report_for(world[name])
        assert [(r.reached, r.stays, r.median_days, r.p75_days) for r in now.stages] == [
            (r.reached, r.stays, r.median_days, r.p75_days) for r in before.stages], name
        assert (now.lost, now.won, now.closed_lost, now.won_amount, now.cycle_count) == (
            before.lost, before.won, before.closed_lost, before.won_amount, before.cycle_count), name
    director = report_for(world["director"])
    assert [r.reached for r in director.stages] == [5, 4, 2, 2, 2] and director.lost == 1 and director.won == 2


@pytest.mark.django_db
def test_won_deals_recorded_at_the_same_moment_each_count_with_the_local_day(world):
    rep_a, c2 = world["rep_a"], world["c2"]
    midnight_half = at(4, 2, 0) + timedelta(minutes=30)  # 04-02 00:30 Shanghai = 04-01 16:30 UTC
    for code, amount in (("S1", "0.01"), ("S2", "0.10")):  # the same moment recorded, the same day closed: one group of 2
        make_opp(code, rep_a, c2, amount, [("first_contact", midnight_half), ("won", at(5, 2))], date(2026, 5, 2))
    make_opp("S3", rep_a, c2, "5.00", [("first_contact", at(4, 1, 23) + timedelta(minutes=30)), ("won", at(5, 2))], date(2026, 5, 2))
    report = report_for(world["director"])
    # cycles: O1 40, O3 121, S1 30, S2 30 (recorded 04-02 locally), S3 31 (04-01 23:30 locally)
    assert (report.won, report.cycle_count, report.cycle_median) == (5, 5, D(31))
    assert (report.won_amount, report.deal_size, report.win_rate) == (D("3005.12"), D("601.02"), D("0.8333"))
    a = by(report.by_rep, "label")["rep_a"]
    assert (a.won, a.lost, a.won_amount, a.deal_size, a.cycle_median, sorted(a.cycles)) == (
        4, 1, D("1005.11"), D("251.28"), D("30.5"), [30, 30, 31, 40])
    conference = by(report.by_source)["conference"]  # c2's source
    assert (conference.won, conference.lost, conference.won_amount, conference.cycle_median) == (3, 1, D("5.11"), D(30))


@pytest.mark.django_db
def test_stays_count_whole_days_to_the_microsecond_and_the_latest_entry_before_each_leaving(world):
    rep_b, c4 = world["rep_b"], world["c4"]
    us = timedelta(microseconds=1)
    # 1 day 23:59:59.749999 → 1 day
    make_opp("V1", rep_b, c4, "1.00", [("first_contact", at(4, 1) + timedelta(microseconds=250000)),
                                       ("needs_confirmed", at(4, 3) - us)])
    # exactly 2 days, both moments with microseconds
    make_opp("V2", rep_b, c4, "1.00", [("first_contact", at(4, 1) + us), ("needs_confirmed", at(4, 3) + us)])
    # first contact 04-01 → needs confirmed 04-05 (4) → back to first contact 04-08 (3 in needs
    # confirmed) → needs confirmed 04-18 (10 since the re-entry, not 17 since the first entry)
    make_opp("V3", rep_b, c4, "1.00", [("first_contact", at(4, 1)), ("needs_confirmed", at(4, 5)), ("first_contact", at(4, 8)),
                                       ("needs_confirmed", at(4, 18))])
    rows = by(report_for(world["director"]).stages, "label")
    # first contact stays ended in Q2: O1 10, O2 3, O3 31, O6 5, V1 1, V2 2, V3 4 and 10
    assert (rows[FIRST].stays, rows[FIRST].median_days, rows[FIRST].p75_days) == (8, D("4.5"), D(10))
    # needs confirmed: O2 14, V3 3
    assert (rows[NEEDS].stays, rows[NEEDS].median_days, rows[NEEDS].p75_days) == (2, D("8.5"), D(14))
    assert rows[FIRST].reached == 8 and rows[NEEDS].reached == 7


@pytest.mark.django_db
def test_the_page_shows_the_first_rows_of_a_group_and_the_export_every_row(world, login, monkeypatch):
    import io

    import openpyxl

    from kehu.reports.views import funnel as views

    monkeypatch.setattr(views, "GROUP_ROWS", 1)
    client = login(world["director"])
    page = client.get(reverse("reports:funnel"), {"period": Q2})
    assert [len(rows) for _t, _k, rows, _m in page.context["groups"]] == [1, 1, 1]
    assert [more for _t, _k, _r, more in page.context["groups"]] == [2, 1, 1]  # 3 reps, 2 teams, 2 sources (internet only in July)
    assert 'data-testid="funnel-by-rep-more"' in page.content.decode()
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("reports:funnel-export"), {"period": Q2}).content))
    reps, teams, sources = ([r for r in ws.iter_rows(values_only=True)][1:] for ws in book.worksheets[3:6])
    assert {r[0] for r in reps} == {"rep_a", "rep_a2", "rep_b"} and len(teams) == 2 and len(sources) == 2

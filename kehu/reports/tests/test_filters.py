"""The shared filter bar of the reports (kehu/reports/filters.py): a value the reader may not use
is refused with a translated message and the field falls back to its default; the scope never
leaves what the reader sees."""

from datetime import date

import pytest
from django.test import RequestFactory
from django.utils import translation

from kehu.customers.models import Customer
from kehu.reports.filters import filter_context, report_filter

pytestmark = pytest.mark.django_db


def _flt(user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    return report_filter(request, default="month")


def test_defaults_to_this_month_and_everyone_in_scope(cast):
    flt = _flt(cast["manager_a"])
    assert flt.period.kind == "month" and flt.problems == []
    assert {u.username for u in flt.reps()} == {"rep_a", "rep_a2"}


def test_a_period_is_parsed_and_a_bad_one_is_refused_in_chinese(cast):
    assert _flt(cast["rep_a"], period="2026-Q2").period.start == date(2026, 4, 1)
    with translation.override("zh-hans"):
        flt = _flt(cast["rep_a"], period="2026-13")
    assert flt.period.kind == "month" and len(flt.problems) == 1
    assert any("\u4e00" <= ch <= "\u9fff" for ch in flt.problems[0])


def test_a_manager_cannot_pick_another_teams_rep_or_team(cast, team_b):
    flt = _flt(cast["manager_a"], rep=cast["rep_b"].pk, team=team_b.pk)
    assert flt.rep is None and flt.team is None and len(flt.problems) == 2
    assert {u.username for u in flt.reps()} == {"rep_a", "rep_a2"}


def test_a_rep_sees_only_themselves_whatever_they_ask(cast, team_a):
    flt = _flt(cast["rep_a"], rep=cast["rep_a2"].pk, team=team_a.pk)
    assert [u.username for u in flt.reps()] == ["rep_a"]
    assert filter_context(flt)["filter_reps"] == [] and filter_context(flt)["filter_teams"] == []


def test_the_director_narrows_to_a_team_and_a_rep(cast, team_b):
    assert [u.username for u in _flt(cast["director"], team=team_b.pk).reps()] == ["rep_b"]
    assert [u.username for u in _flt(cast["director"], rep=cast["rep_a2"].pk).reps()] == ["rep_a2"]


def test_lead_source_is_checked_and_narrows_customers(cast):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(lead_source=Customer.LeadSource.values[0])
    flt = _flt(cast["director"], source=Customer.LeadSource.values[0])
    assert list(flt.customers()) == [cast["customer_a"]]
    bad = _flt(cast["director"], source="nonsense")
    assert bad.lead_source == "" and len(bad.problems) == 1


def test_customers_are_those_the_reader_may_open(cast):
    names = {c.name for c in _flt(cast["rep_a"]).customers()}
    assert cast["customer_b"].name not in names and cast["customer_a"].name in names


def test_owned_rows_and_the_query_string(cast):
    flt = _flt(cast["director"], period="2026-06", rep=cast["rep_a"].pk)
    assert set(flt.owned(Customer.objects.all(), "owner", lead_source_path="lead_source")) == {cast["customer_a"]}
    assert flt.query() == f"period=2026-06&rep={cast['rep_a'].pk}"

"""DOMAIN.md §7's target rules pinned: the breakdown, the services' validation and
permissions, last year's shape, attainment math."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.core.models import AuditEvent
from kehu.planning.breakdown import breakdown
from kehu.planning.errors import PlanningError
from kehu.planning.models import Target
from kehu.planning.periods import parse_period
from kehu.planning.selectors.targets import Attainment, attainment, last_year_weights
from kehu.planning.services.targets import TargetGridError, target_set, target_spread, targets_grid_save
from kehu.sales.models import Opportunity, OpportunityStage

D = Decimal


# --- the breakdown (pure) ---------------------------------------------------------------------

def test_system_even_split_sums_to_the_amount_with_ties_to_earlier_months():
    rows = breakdown(2026, D("100.00"), None, weeks=False)
    months = [a for _p, a in rows.months]
    assert sum(months) == D("100.00")
    # 10000 cents ÷ 12 = 833.33…: 4 cents left, to the first four months (ties: earlier first)
    assert months[:4] == [D("8.34")] * 4 and months[4:] == [D("8.33")] * 8
    assert [a for _p, a in rows.quarters] == [D("25.02"), D("25.00"), D("24.99"), D("24.99")]
    assert [a for _p, a in rows.halves] == [D("50.02"), D("49.98")]


def test_system_weights_split_proportionally():
    rows = breakdown(2026, D("1200.00"), ["2", "1", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0"], weeks=False)
    assert [a for _p, a in rows.months][:4] == [D("600.00"), D("300.00"), D("300.00"), D("0.00")]


def test_system_an_empty_weight_is_zero_when_others_are_given():
    rows = breakdown(2026, D("300.00"), ["1", "", "2"], weeks=False)
    assert [a for _p, a in rows.months][:3] == [D("100.00"), D("0.00"), D("200.00")]
    assert sum(a for _p, a in rows.months) == D("300.00")


def test_system_largest_remainder_ties_go_to_the_earlier_month():
    # 0.02 over three equal weights: 0.666… cents each; the first two get a cent
    rows = breakdown(2026, D("0.02"), ["1", "1", "1"], weeks=False)
    assert [a for _p, a in rows.months][:3] == [D("0.01"), D("0.01"), D("0.00")]


def test_system_a_week_across_two_months_is_split_by_days():
    # 2026-W05 = Mon 26 Jan – Sun 1 Feb: 6 days of January, 1 of February; February gets nothing
    weights = ["31", *["0"] * 11]
    rows = breakdown(2026, D("31.00"), weights)
    weeks = dict((p.label, a) for p, a in rows.weeks)
    assert weeks["2026-W05"] == D("6.00")  # 1.00 a day in January, 0 in February
    assert weeks["2026-W06"] == D("0.00")
    assert sum(weeks.values()) == D("31.00")


def test_system_a_week_across_two_years_keeps_this_years_days():
    # 2026-01-01 is a Thursday: ISO week 2026-W01 starts Mon 2025-12-29; 2026-12-31 (Thu) is in 2026-W53
    rows = breakdown(2026, D("365.00"), None)
    weeks = dict((p.label, a) for p, a in rows.weeks)
    assert list(weeks)[0] == "2026-W01" and list(weeks)[-1] == "2026-W53"
    assert sum(weeks.values()) == D("365.00")
    # January's daily share: 365 × 1/12 ÷ 31; W01 holds 4 January days (1–4 Jan)
    assert weeks["2026-W01"] in (D("3.93"), D("3.92"))
    rows_2027 = breakdown(2027, D("365.00"), None)
    assert [p.label for p, _a in rows_2027.weeks][0] == "2026-W53"  # 1–3 Jan 2027 are in ISO week 2026-W53


# --- the services -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_admin_sets_and_updates_a_target_with_an_audit_event(cast):
    admin = cast["admin"]
    target = target_set(actor=admin, scope="company", year=2026, amount="1000", weights=["1", "", "3"])
    assert target.weights == ["1", "", "3", *[""] * 9]
    target_set(actor=admin, scope="company", year=2026, amount="1000", weights=["1", "", "3"])  # unchanged: no event
    target_set(actor=admin, scope="company", year=2026, amount="2000")
    events = AuditEvent.objects.filter(object_type="target", object_id=target.pk).order_by("pk")
    assert [e.verb for e in events] == ["create", "update"]
    assert events[1].changes["amount"] == ["1000.00", "2000.00"]
    assert Target.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"amount": "-1"}, "negative"),
    ({"amount": "10000000000.00"}, "too large"),
    ({"amount": "1.001"}, "two decimals"),
    ({"amount": "abc"}, "amount such as"),
    ({"amount": "1", "year": 1999}, "year"),
    ({"amount": "1", "weights": ["-1", "2"]}, "negative"),
    ({"amount": "1", "weights": ["0"] * 12}, "all zero"),
    ({"amount": "1", "weights": ["x"]}, "not a weight"),
    ({"amount": "1", "weights": ["1"] * 13}, "twelve"),
])
def test_admin_bad_target_is_refused_and_nothing_written(cast, kwargs, expected):
    from django.utils import translation

    with translation.override("en"), pytest.raises(PlanningError) as exc:
        target_set(actor=cast["admin"], **{"scope": "company", "year": 2026, **kwargs})
    assert expected in str(exc.value)
    assert not Target.objects.exists()


@pytest.mark.django_db
def test_rep_cannot_set_any_target(cast):
    with pytest.raises(PermissionDenied):
        target_set(actor=cast["rep_a"], scope="user", user=cast["rep_a"], year=2026, amount="1")


@pytest.mark.django_db
def test_manager_sets_own_teams_reps_only(cast):
    manager = cast["manager_a"]
    target_set(actor=manager, scope="user", user=cast["rep_a"], year=2026, amount="1")
    with pytest.raises(PermissionDenied):
        target_set(actor=manager, scope="user", user=cast["rep_b"], year=2026, amount="1")
    with pytest.raises(PermissionDenied):
        target_set(actor=manager, scope="team", team=cast["rep_a"].team, year=2026, amount="1")
    with pytest.raises(PermissionDenied):
        target_set(actor=manager, scope="company", year=2026, amount="1")


@pytest.mark.django_db
def test_manager_grid_with_another_teams_rep_writes_nothing(cast):
    rows = [{"scope": "user", "user": cast["rep_a"], "months": ["1"] * 12},
            {"scope": "user", "user": cast["rep_b"], "months": ["1"] * 12}]
    with pytest.raises(TargetGridError) as exc:
        targets_grid_save(actor=cast["manager_a"], year=2026, measure="won", rows=rows)
    assert len(exc.value.problems) == 1
    assert not Target.objects.exists()


@pytest.mark.django_db
def test_admin_grid_months_become_weights_and_the_sum(cast):
    months = ["10.50", "", "20", *[""] * 9]
    [target] = targets_grid_save(actor=cast["admin"], year=2026, measure="collections",
                                 rows=[{"scope": "user", "user": cast["rep_a"], "months": months}])
    assert target.measure == "collections" and target.amount == D("30.50")
    rows = breakdown(2026, target.amount, target.weights, weeks=False)
    assert [a for _p, a in rows.months][:3] == [D("10.50"), D("0.00"), D("20.00")]


def _won(owner, customer, amount, closed_on, code):
    won = OpportunityStage.objects.get(code="won")
    return Opportunity.objects.create(code=code, customer=customer, owner=owner, title=code, stage=won, amount=D(amount), closed_on=closed_on)


@pytest.mark.django_db
def test_admin_spreads_by_last_years_won_shape(cast):
    _won(cast["rep_a"], cast["customer_a"], "100", date(2025, 1, 15), "O1")
    _won(cast["rep_a"], cast["customer_a"], "300", date(2025, 3, 2), "O2")
    _won(cast["rep_b"], cast["customer_b"], "999", date(2025, 2, 2), "O3")  # another rep: not in rep_a's shape
    _won(cast["rep_a"], cast["customer_a"], "999", date(2026, 2, 2), "O4")  # this year: not last year
    assert last_year_weights(year=2026, user_ids=[cast["rep_a"].pk])[:4] == [D("100.00"), D("0.00"), D("300.00"), D("0.00")]
    target = target_spread(actor=cast["admin"], year=2026, measure="won", scope="user", user=cast["rep_a"], amount="1000", how="last_year")
    rows = breakdown(2026, target.amount, target.weights, weeks=False)
    assert [a for _p, a in rows.months][:3] == [D("250.00"), D("0.00"), D("750.00")]
    team = target_spread(actor=cast["admin"], year=2026, measure="won", scope="team", team=cast["rep_b"].team, amount="12", how="last_year")
    assert [a for _p, a in breakdown(2026, team.amount, team.weights, weeks=False).months][1] == D("12.00")


@pytest.mark.django_db
def test_system_no_history_last_year_is_even(cast):
    assert last_year_weights(year=2026, user_ids=[cast["rep_a"].pk]) == [D(1)] * 12
    target = target_spread(actor=cast["admin"], year=2026, measure="collections", scope="company", amount="12", how="last_year")
    assert target.weights == [""] * 12


def _paid(customer, owner, amount, paid_on, code, finance):
    from kehu.finance.services import contract_plan_set, payment_record
    from kehu.sales.models import Contract

    contract = Contract.objects.create(code=code, customer=customer, owner=owner, signed_on=date(2025, 1, 1), amount=D(amount))
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2025, 2, 1), D(amount))])
    return payment_record(actor=finance, customer=customer, contract=contract, amount=D(amount), paid_on=paid_on)


@pytest.mark.django_db
def test_admin_spreads_by_last_years_collections_credited_as_finance_does(cast):
    finance = cast["finance"]
    _paid(cast["customer_a"], cast["rep_a"], "40", date(2025, 4, 3), "K1", finance)
    _paid(cast["customer_a"], cast["rep_a"], "60", date(2025, 12, 31), "K2", finance)
    _paid(cast["customer_a"], cast["rep_b"], "70", date(2025, 5, 3), "K3", finance)  # the contract's owner: rep_b
    weights = last_year_weights(year=2026, measure="collections", user_ids=[cast["rep_a"].pk])
    assert weights[3] == D("40.00") and weights[11] == D("60.00") and sum(weights) == D("100.00")
    target = target_spread(actor=cast["admin"], year=2026, measure="collections", scope="user", user=cast["rep_a"], amount="10", how="last_year")
    assert [a for _p, a in breakdown(2026, target.amount, target.weights, weeks=False).months][3] == D("4.00")
    q2 = parse_period("2025-Q2")
    rep_b = attainment(user=cast["admin"], scope="user", rep=cast["rep_b"], period=q2, measure="collections", today=date(2025, 6, 30))
    assert rep_b.actual == D("70.00")


# --- attainment -------------------------------------------------------------------------------

def test_system_attainment_math():
    a = Attainment(label="x", target=D("900.00"), actual=D("300.00"), days=90, days_gone=30)
    assert a.attained == D("0.3333")
    assert a.gone == D("0.3333")
    assert a.projection == D("900.00")
    assert a.projected_attained == D("1.0000")
    before = Attainment(label="x", target=None, actual=D("0"), days=90, days_gone=0)
    assert before.projection is None and before.attained is None


@pytest.mark.django_db
def test_admin_attainment_of_a_rep_a_team_and_the_company(cast):
    admin = cast["admin"]
    target_set(actor=admin, scope="user", user=cast["rep_a"], year=2026, amount="1200")
    target_set(actor=admin, scope="company", year=2026, amount="12000")
    _won(cast["rep_a"], cast["customer_a"], "100", date(2026, 4, 10), "O1")
    _won(cast["rep_a2"], cast["customer_a2"], "50", date(2026, 5, 10), "O2")
    _won(cast["rep_b"], cast["customer_b"], "25", date(2026, 6, 30), "O3")
    _won(cast["rep_b"], cast["customer_b"], "1000", date(2026, 7, 1), "O4")  # next quarter
    q2 = parse_period("2026-Q2")
    today = date(2026, 5, 1)  # 31 of 91 days gone
    rep = attainment(user=admin, scope="user", rep=cast["rep_a"], period=q2, today=today)
    assert (rep.target, rep.actual, rep.days, rep.days_gone) == (D("300.00"), D("100.00"), 91, 31)
    assert rep.attained == D("0.3333") and rep.projection == D("293.55")
    team = attainment(user=admin, scope="team", team=cast["rep_a"].team, period=q2, today=today)
    assert team.actual == D("150.00") and team.target is None
    company = attainment(user=admin, scope="company", period=q2, today=today)
    assert company.actual == D("175.00") and company.target == D("3000.00")


@pytest.mark.django_db
def test_rep_b_cannot_read_rep_a_or_the_company(cast):
    q2 = parse_period("2026-Q2")
    with pytest.raises(Http404):
        attainment(user=cast["rep_b"], scope="user", rep=cast["rep_a"], period=q2, today=date(2026, 5, 1))
    with pytest.raises(Http404):
        attainment(user=cast["rep_b"], scope="company", period=q2, today=date(2026, 5, 1))
    with pytest.raises(Http404):
        attainment(user=cast["manager_a"], scope="team", team=cast["rep_b"].team, period=q2, today=date(2026, 5, 1))
    own = attainment(user=cast["rep_b"], scope="user", rep=cast["rep_b"], period=q2, today=date(2026, 5, 1))
    assert own.actual == D("0.00")

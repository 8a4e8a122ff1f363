"""Periods of planning: parsing, bounds, the periods a rep forecasts."""

from datetime import date

import pytest

from kehu.planning.errors import PlanningError
from kehu.planning.periods import forecast_periods, months_of, parse_period, period_of


@pytest.mark.parametrize("text, start, end, kind", [
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "year"),
    ("2026-H2", date(2026, 7, 1), date(2026, 12, 31), "half"),
    ("2026-q1", date(2026, 1, 1), date(2026, 3, 31), "quarter"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
    ("2026-W01", date(2025, 12, 29), date(2026, 1, 4), "week"),
    ("2026-W53", date(2026, 12, 28), date(2027, 1, 3), "week"),
])
def test_system_reads_every_kind_of_period(text, start, end, kind):
    period = parse_period(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert parse_period(period.label) == period


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "2026-Q5", "2026-H3", "2027-W53", "1999", "2100-01", "26-06", "2026-6", "x" * 500])
def test_system_refuses_what_is_not_a_period(text):
    with pytest.raises(PlanningError):
        parse_period(text)


def test_system_refuses_a_kind_not_asked_for():
    with pytest.raises(PlanningError):
        parse_period("2026", kinds=("month", "quarter"))


def test_system_counts_days_gone_and_steps_between_periods():
    june = parse_period("2026-06")
    assert (june.days, june.days_gone(date(2026, 5, 31)), june.days_gone(date(2026, 6, 10)), june.days_gone(date(2026, 8, 1))) == (30, 0, 10, 30)
    assert (june.next().label, june.previous().label) == ("2026-07", "2026-05")
    assert parse_period("2026-Q4").next().label == "2027-Q1"
    assert period_of("week", date(2027, 1, 1)).label == "2026-W53"


def test_rep_forecasts_this_and_next_month_and_quarter():
    assert [p.label for p in forecast_periods(date(2026, 12, 6))] == ["2026-12", "2027-01", "2026-Q4", "2027-Q1"]
    assert [p.label for p in months_of(parse_period("2026-W05"))] == ["2026-01", "2026-02"]


def test_system_integer_month_cents_equal_the_fraction_rule():
    """The roll-up's fast path (integers) gives the cents of the exact rule (Fractions)."""
    import random
    from decimal import Decimal

    from kehu.planning.breakdown import largest_remainder, month_cents, month_shares

    rng = random.Random(11)
    for _ in range(300):
        amount = Decimal(rng.randrange(0, 10**12)) / 100
        weights = rng.choice([None, [rng.choice(["", "0", "1", "2.5", "7", "0.333", "14"]) for _m in range(12)]])
        if weights and all(w in ("", "0") for w in weights):
            weights[0] = "1"
        assert month_cents(amount, weights) == largest_remainder(int(amount * 100), month_shares(amount, weights))

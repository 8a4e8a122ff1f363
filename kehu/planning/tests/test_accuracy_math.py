"""DOMAIN.md §7 forecast accuracy, the arithmetic alone (kehu.planning.accuracy): exact, then
rounded half-up to 4 decimals once; empty without a forecast or when the actual is 0."""

from datetime import date, datetime, timezone
from decimal import Decimal
from fractions import Fraction

from kehu.planning.accuracy import Submitted, accuracy_of, bias_of, cutoff_of, forecast_at, mean, round_half_up

D = Decimal


def test_system_accuracy_and_bias_of_the_example_rep():
    # rep1, 2026-Q2, 28 days: 1 − 21952.06 ÷ 652000 = 0.966331…, bias −0.033669…
    assert accuracy_of(D("630047.94"), D("652000.00")) == D("0.9663")
    assert bias_of(D("630047.94"), D("652000.00")) == D("-0.0337")


def test_system_accuracy_is_never_below_zero_and_bias_keeps_the_overshoot():
    assert accuracy_of(D("300.00"), D("100.00")) == D("0.0000")
    assert bias_of(D("300.00"), D("100.00")) == D("2.0000")
    assert accuracy_of(D("0.00"), D("100.00")) == D("0.0000")
    assert bias_of(D("0.00"), D("100.00")) == D("-1.0000")


def test_system_a_perfect_forecast_is_one_and_no_bias():
    assert accuracy_of(D("123.45"), D("123.45")) == D("1.0000")
    assert bias_of(D("123.45"), D("123.45")) == D("0.0000")


def test_system_rounds_half_up_at_the_fifth_decimal_exactly():
    # |F − A| ÷ A = 0.00005 exactly: accuracy 0.99995 → 0.99995 rounds up to 1.0000, bias to 0.0001
    assert accuracy_of(D("20001.00"), D("20000.00")) == D("1.0000")
    assert bias_of(D("20001.00"), D("20000.00")) == D("0.0001")
    # a tie below zero goes away from zero (half-up on the magnitude)
    assert bias_of(D("19999.00"), D("20000.00")) == D("-0.0001")
    # just under the tie rounds down: 1 ÷ 20000.01 < 0.00005
    assert bias_of(D("20001.01"), D("20000.01")) == D("0.0000")


def test_system_computes_exactly_where_a_float_would_not():
    # 1 − 1 ÷ 3 = 0.666666… → 0.6667; 1 ÷ 3 of a cent amount is not a finite decimal
    assert accuracy_of(D("200.00"), D("300.00")) == D("0.6667")
    assert bias_of(D("200.00"), D("300.00")) == D("-0.3333")
    assert round_half_up(Fraction(12345, 1000000)) == D("0.0123")
    assert round_half_up(Fraction(-12345, 1000000)) == D("-0.0123")
    assert round_half_up(Fraction(5, 100000)) == D("0.0001")


def test_system_both_empty_without_a_forecast_or_when_nothing_was_won():
    assert accuracy_of(None, D("100.00")) is None and bias_of(None, D("100.00")) is None
    assert accuracy_of(D("100.00"), D("0.00")) is None and bias_of(D("100.00"), D("0.00")) is None


def test_system_cutoff_is_the_last_day_minus_the_lead_time():
    assert cutoff_of(date(2026, 6, 30), 28) == date(2026, 6, 2)
    assert cutoff_of(date(2026, 6, 30), 0) == date(2026, 6, 30)


def _s(day, hour, pk, commit):
    return Submitted(day, datetime(2026, 1, 1, hour, tzinfo=timezone.utc), pk, D(commit))


def test_system_forecast_is_the_latest_on_or_before_the_cutoff_recorded_last_on_equal_dates():
    subs = [
        _s(date(2026, 5, 28), 9, 1, "100.00"),
        _s(date(2026, 6, 2), 10, 3, "300.00"),  # recorded last that day, though its id is lower
        _s(date(2026, 6, 2), 9, 4, "200.00"),
        _s(date(2026, 6, 3), 9, 5, "999.00"),  # after the cut-off
    ]
    assert forecast_at(subs, date(2026, 6, 2)) == D("300.00")
    assert forecast_at(subs, date(2026, 6, 1)) == D("100.00")
    assert forecast_at(subs, date(2026, 5, 27)) is None
    # same recorded_at: the higher id
    same = [_s(date(2026, 6, 2), 9, 7, "1.00"), _s(date(2026, 6, 2), 9, 6, "2.00")]
    assert forecast_at(same, date(2026, 6, 2)) == D("1.00")


def test_system_mean_of_the_values_present_rounded_half_up():
    assert mean([D("0.9663"), None, D("0.5000")]) == D("0.7332")  # 0.73315 → 0.7332
    assert mean([None, None]) is None

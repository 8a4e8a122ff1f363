"""The engine reproduces the shipped example's expected pyramid, value and key-account runs
exactly, with a fixed number of queries; plus the percentile and window rules of §5.0."""

import json
from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.dataset.tests.conftest import EXAMPLE
from kehu.ranking import scoring
from kehu.ranking.facts import QUERIES, load_facts


def _expected(model):
    return json.loads((EXAMPLE / "expected" / f"{model}.json").read_text(), parse_float=Decimal)


def _facts(model):
    as_of = date.fromisoformat(_expected(model)["as_of"])
    return load_facts(as_of, 12)


def test_pyramid_matches_the_expected_run(example):
    expected = _expected("pyramid")
    facts = _facts("pyramid")
    results = scoring.pyramid(facts)
    assert results == expected["results"]
    assert scoring.pyramid_summary(facts, results) == expected["summary"]


def test_key_account_matches_the_expected_run(example):
    assert scoring.key_account(_facts("key_account")) == _expected("key_account")["results"]


def test_value_matches_the_expected_run(example):
    assert scoring.value(_facts("value")) == _expected("value")["results"]


def test_load_facts_uses_a_fixed_number_of_queries(example):
    with CaptureQueriesContext(connection) as ctx:
        facts = load_facts(date(2026, 6, 30), 12)
    assert len(ctx.captured_queries) == facts.queries <= QUERIES
    assert len(facts.population) > 30


def test_percentile_ties_take_the_average_rank():
    got = scoring.percentile_scores({"a": Decimal(1), "b": Decimal(2), "c": Decimal(2), "d": Decimal(5)})
    # ranks 1, 2.5, 2.5, 4 → 0, 50, 50, 100
    assert got == {"a": Decimal(0), "b": Decimal(50), "c": Decimal(50), "d": Decimal(100)}
    low = scoring.percentile_scores({"a": Decimal(1), "b": Decimal(2), "c": Decimal(2), "d": Decimal(5)}, lower_is_better=True)
    assert low == {"a": Decimal(100), "b": Decimal(50), "c": Decimal(50), "d": Decimal(0)}
    assert scoring.percentile_scores({"only": Decimal(7)}) == {"only": Decimal(100)}
    assert scoring.percentile_scores({"x": 3, "y": 3, "z": 3}) == {"x": 50, "y": 50, "z": 50}
    assert scoring.percentile_scores({}) == {}


def test_window_uses_calendar_months_and_the_feb_29_rule():
    assert scoring.window(date(2024, 2, 29)) == (date(2023, 2, 28), date(2024, 2, 29))
    assert scoring.window(date(2026, 6, 30)) == (date(2025, 6, 30), date(2026, 6, 30))
    assert scoring.window(date(2026, 3, 31), 1) == (date(2026, 2, 28), date(2026, 3, 31))
    assert scoring.window(date(2026, 1, 15), 3) == (date(2025, 10, 15), date(2026, 1, 15))
    assert scoring.previous_window(date(2024, 2, 29)) == (date(2022, 2, 28), date(2023, 2, 28))
    assert scoring.previous_window(date(2026, 6, 30), 6) == (date(2025, 6, 30), date(2025, 12, 30))


def test_rounding_is_half_up():
    assert scoring.round_half_up(Decimal("0.12345")) == Decimal("0.1235")
    assert scoring.round_half_up(Decimal("-0.12345")) == Decimal("-0.1235")
    assert scoring.money(None) == "0" and scoring.money(Decimal("5")) == "5.00"

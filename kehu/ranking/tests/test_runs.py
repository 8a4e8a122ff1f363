"""Evaluation runs: `kehu evaluate --json` reproduces the shipped expected runs, runs are
stored and never change, and `kehu compare` reports entries, departures and class moves."""

import json
from decimal import Decimal
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kehu.dataset.tests.conftest import EXAMPLE
from kehu.ranking import scoring
from kehu.ranking.facts import load_facts
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.ranking.errors import RankingError
from kehu.ranking.selectors import run_payload, runs_compare
from kehu.ranking.services import evaluation_run

MODELS = ["pyramid", "value", "key_account"]


def _expected(model):
    return json.loads((EXAMPLE / "expected" / f"{model}.json").read_text(), parse_float=Decimal)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _evaluate(*args):
    out = StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


def _evaluate_json(model, *extra, as_of=None):
    as_of = as_of or _expected(model)["as_of"]
    return json.loads(_evaluate(model, "--as-of", as_of, "--json", *extra), parse_float=Decimal)


def _compare(a, b):
    out = StringIO()
    call_command("compare", str(a), str(b), "--json", stdout=out)
    return json.loads(out.getvalue(), parse_float=Decimal)


@pytest.mark.parametrize("model", MODELS)
def test_evaluate_json_matches_the_expected_run(example, model):
    expected = _expected(model)
    got = _evaluate_json(model)
    run = EvaluationRun.objects.get()
    assert got["run"] == run.pk
    assert list(got) == ["run", "model", "as_of", "params", "results"] + (["summary"] if "summary" in expected else [])
    params = got.pop("params")
    del got["run"]
    assert got == expected
    defaults = {"pyramid": scoring.PYRAMID_DEFAULTS, "value": scoring.VALUE_DEFAULTS, "key_account": scoring.KEY_ACCOUNT_DEFAULTS}[model]
    assert params == {k: (str(v) if not isinstance(v, int) else v) for k, v in defaults.items()}
    assert run.params == params and run.window_months == 12 and run.as_of == date.fromisoformat(expected["as_of"])
    # every result of the run is stored, in order
    assert EvaluationResult.objects.filter(run=run).count() == len(expected["results"])
    assert run_payload(run)["results"] == expected["results"]


def test_results_stored_equal_the_population(example):
    facts = load_facts(date(2026, 6, 30), 12)
    run = evaluation_run(actor=None, model="pyramid", as_of=date(2026, 6, 30))
    assert run.results.count() == len(facts.population)
    value = evaluation_run(actor=None, model="value", as_of=date(2026, 6, 30))
    assert value.results.count() == len(facts.population) + len(facts.prospects)
    assert value.results.filter(rank__isnull=True).count() == len(facts.prospects)


def test_a_run_is_stored_with_one_bulk_insert(example, django_assert_max_num_queries):
    # settings + at most 10 fact queries (kehu.ranking.facts.QUERIES) + run insert + one results insert + the current ranking copied
    # onto customers (a fixed number of UPDATEs, vip moves in bulk, the stage-entry summary of the moved customers
    # refreshed in one go: 6 more), the one look for webhook subscriptions wanting the derived stage change
    # (issue 14) — never a query per customer
    with django_assert_max_num_queries(38):
        evaluation_run(actor=None, model="key_account", as_of=date(2026, 6, 30))


def test_runs_never_change_rerunning_makes_a_new_run(example):
    first = _evaluate_json("pyramid")
    second = _evaluate_json("pyramid", "--param", "important=0.10")
    assert second["run"] != first["run"]
    assert EvaluationRun.objects.count() == 2
    # the first run is unchanged
    again = run_payload(EvaluationRun.objects.get(pk=first["run"]))
    assert again == first
    assert EvaluationResult.objects.filter(run_id=first["run"]).count() == len(first["results"])


@pytest.mark.parametrize("model", MODELS)
def test_identical_runs_compare_empty(example, model):
    a = _evaluate_json(model)["run"]
    b = _evaluate_json(model)["run"]
    assert _compare(a, b) == {"entered": [], "left": [], "promoted": [], "demoted": []}


def test_a_changed_cut_off_promotes_and_demotes(example):
    base = _evaluate_json("pyramid")
    wider = _evaluate_json("pyramid", "--param", "important=0.10")
    assert wider["params"]["important"] == "0.10"
    before = {r["customer"]: r["class"] for r in base["results"]}
    after = {r["customer"]: r["class"] for r in wider["results"]}
    # ⌈0.10 × 39⌉ = 4 important: ranks 2–4 move up from major
    moved = sorted(c for c in before if before[c] != after[c])
    assert len(moved) == 3 and all(before[c] == "major" and after[c] == "important" for c in moved)
    diff = _compare(base["run"], wider["run"])
    assert diff["entered"] == [] and diff["left"] == [] and diff["demoted"] == []
    assert diff["promoted"] == [{"customer": c, "from": "major", "to": "important"} for c in moved]
    back = _compare(wider["run"], base["run"])
    assert back["promoted"] == [] and back["demoted"] == [{"customer": c, "from": "important", "to": "major"} for c in moved]


def test_a_shorter_window_shows_entries_and_departures(example):
    a = evaluation_run(actor=None, model="key_account", as_of=date(2026, 6, 30))
    b = evaluation_run(actor=None, model="key_account", as_of=date(2026, 6, 30), window_months=3)
    codes_a = set(a.results.values_list("customer__code", flat=True))
    codes_b = set(b.results.values_list("customer__code", flat=True))
    diff = runs_compare(a, b)
    assert diff["entered"] == sorted(codes_b - codes_a)
    assert diff["left"] == sorted(codes_a - codes_b)
    assert diff["left"]  # a 3-month window drops some customers
    for move in diff["promoted"]:
        assert (move["from"], move["to"]) == ("other", "key")
    for move in diff["demoted"]:
        assert (move["from"], move["to"]) == ("key", "other")


def test_value_prospects_have_their_own_ladder(example):
    a = evaluation_run(actor=None, model="value", as_of=date(2026, 6, 30))
    b = evaluation_run(actor=None, model="value", as_of=date(2026, 6, 30), params={"opportunity_influence": 1})
    diff = runs_compare(a, b)
    assert diff["entered"] == [] and diff["left"] == [] and diff["demoted"] == []
    assert diff["promoted"]
    assert all((m["from"], m["to"]) == ("general_opportunity", "important_opportunity") for m in diff["promoted"])


def test_comparing_different_models_is_refused(example):
    a = evaluation_run(actor=None, model="pyramid", as_of=date(2026, 6, 30))
    b = evaluation_run(actor=None, model="key_account", as_of=date(2026, 6, 30))
    with pytest.raises(CommandError, match="different models"):
        call_command("compare", str(a.pk), str(b.pk), stdout=StringIO())
    with pytest.raises(CommandError, match="no evaluation run 999"):
        call_command("compare", str(a.pk), "999", stdout=StringIO())


@pytest.mark.parametrize(
    "args, message",
    [
        (["pyramids", "--as-of", "2026-06-30"], "Unknown model"),
        (["pyramid", "--as-of", "2026-06-31"], "is not a date"),
        (["pyramid", "--as-of", "yesterday"], "is not a date"),
        (["pyramid", "--as-of", "2026-06-30", "--param", "diamond_top=0.1"], "Unknown parameter"),
        (["pyramid", "--as-of", "2026-06-30", "--param", "important"], "is not NAME=VALUE"),
        (["pyramid", "--as-of", "2026-06-30", "--param", "important=abc"], "invalid value"),
        (["pyramid", "--as-of", "2026-06-30", "--param", "important=1.5"], "between 0 and 1"),
        (["pyramid", "--as-of", "2026-06-30", "--param", "important=0.6"], "important ≤ major ≤ ordinary"),
        (["value", "--as-of", "2026-06-30", "--param", "strategic_influence=4.5"], "invalid value"),
        (["value", "--as-of", "2026-06-30", "--param", "strategic_influence=9"], "rating from 1 to 5"),
        (["value", "--as-of", "2026-06-30", "--param", "w_sales=-1"], "must not be negative"),
        (["key_account", "--as-of", "2026-06-30", "--param", "threshold=101"], "between 0 and 100"),
        (["key_account", "--as-of", "2026-06-30", "--param", "threshold=NaN"], "invalid value"),
        (["pyramid", "--as-of", "2026-06-30", "--window-months", "0"], "window"),
    ],
)
def test_bad_arguments_are_refused(example, args, message):
    with pytest.raises(CommandError, match=message):
        _evaluate(*args)
    assert EvaluationRun.objects.count() == 0


def test_all_weights_zero_is_refused(example):
    zero = {k: "0" for k in scoring.KEY_ACCOUNT_DEFAULTS if k.startswith("w_")}
    with pytest.raises(RankingError, match="weight"):
        evaluation_run(actor=None, model="key_account", as_of=date(2026, 6, 30), params=zero)


def test_human_output_is_a_short_summary(example):
    text = _evaluate("pyramid", "--as-of", "2026-06-30", "--param", "important=0.10")
    run = EvaluationRun.objects.get()
    assert f"Run {run.pk}: pyramid as of 2026-06-30, 12 months, 39 customers ranked." in text
    assert "important: 4" in text and "profit share" in text
    assert "Parameters changed: important=0.10" in text
    out = StringIO()
    call_command("compare", str(run.pk), str(run.pk), stdout=out)
    assert "Entered (0)" in out.getvalue()


def test_parameters_are_read_in_the_models_order_whatever_the_database_kept(example):
    """PostgreSQL's jsonb sorts keys its own way: the JSON output and the pages use the model's order."""
    from kehu.ranking.params import ordered_params
    from kehu.ranking.scoring import DEFAULTS

    run = evaluation_run(actor=None, model="key_account", as_of=date(2026, 6, 30))
    EvaluationRun.objects.filter(pk=run.pk).update(params=dict(sorted(run.params.items())))  # shuffled as jsonb would
    run.refresh_from_db()
    assert list(ordered_params(run)) == list(DEFAULTS["key_account"])
    assert list(run_payload(run)["params"]) == list(DEFAULTS["key_account"])

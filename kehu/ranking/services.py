"""Evaluation runs (DOMAIN.md §5): compute with the pure engine, store once, compare.

A run is written once — the run row and all its results in one `bulk_create` — and never
changes afterwards: there is no update service; running again creates a new run.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import transaction
from django.utils.translation import gettext as _

from kehu.ranking import engine
from kehu.ranking.models import EvaluationResult, EvaluationRun

DEFAULTS = {
    "pyramid": engine.PYRAMID_DEFAULTS,
    "value": engine.VALUE_DEFAULTS,
    "key_account": engine.KEY_ACCOUNT_DEFAULTS,
}
MAX_WINDOW_MONTHS = 120

# Class ladders for `runs_compare`, best first.
LADDERS = {
    "pyramid": [("important", "major", "ordinary", "small")],
    "value": [
        ("diamond", "strategic", "potential", "general", "problem"),
        ("important_opportunity", "general_opportunity"),
    ],
    "key_account": [("key", "other")],
}


class RankingError(ValueError):
    """A run that cannot be made or compared; the message is translated for the user."""


# ---------------------------------------------------------------------------- parameters


def _share(name, v):
    if not (0 <= v <= 1):
        raise RankingError(_("Parameter “%(name)s” must be between 0 and 1.") % {"name": name})


def _non_negative(name, v):
    if v < 0:
        raise RankingError(_("Parameter “%(name)s” must not be negative.") % {"name": name})


def _rating(name, v):
    if not (1 <= v <= 5):
        raise RankingError(_("Parameter “%(name)s” must be a rating from 1 to 5.") % {"name": name})


def _check(name: str, v) -> None:
    if name.startswith("w_") or name in ("problem_mean_days_late", "opportunity_pipeline"):
        _non_negative(name, v)
    elif name in ("strategic_influence", "opportunity_influence"):
        _rating(name, v)
    elif name == "threshold":
        if not (0 <= v <= 100):
            raise RankingError(_("Parameter “%(name)s” must be between 0 and 100.") % {"name": name})
    else:  # pyramid cut-offs, *_top shares, problem_collection_rate
        _share(name, v)


def _parse(name: str, raw, default):
    text = str(raw).strip()
    try:
        if isinstance(default, int) and not isinstance(default, Decimal):
            return int(text)
        v = Decimal(text)
        if not v.is_finite():
            raise InvalidOperation
        return v
    except (ValueError, InvalidOperation):
        raise RankingError(_("Parameter “%(name)s” has an invalid value “%(value)s”.") % {"name": name, "value": text}) from None


def resolve_params(model: str, params: dict | None) -> dict:
    """The full parameter set for `model`: defaults overridden by `params` (values as numbers or strings)."""
    if model not in DEFAULTS:
        raise RankingError(
            _("Unknown model “%(model)s”; choose one of: %(choices)s.") % {"model": model, "choices": ", ".join(DEFAULTS)}
        )
    defaults = DEFAULTS[model]
    out = dict(defaults)
    for name, raw in (params or {}).items():
        if name not in defaults:
            raise RankingError(
                _("Unknown parameter “%(name)s” for the %(model)s model; known: %(names)s.")
                % {"name": name, "model": model, "names": ", ".join(defaults)}
            )
        v = _parse(name, raw, defaults[name])
        _check(name, v)
        out[name] = v
    if model == "pyramid" and not (out["important"] <= out["major"] <= out["ordinary"]):
        raise RankingError(_("The pyramid cut-offs must satisfy important ≤ major ≤ ordinary."))
    weights = [v for k, v in out.items() if k.startswith("w_")]
    if weights and not sum(weights):
        raise RankingError(_("At least one weight must be positive."))
    return out


def params_json(params: dict) -> dict:
    """Parameters as stored and printed: Decimals as decimal strings, integers as integers."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in params.items()}


# ---------------------------------------------------------------------------- runs


def evaluation_run(*, actor, model: str, as_of: date, window_months: int = 12, params: dict | None = None) -> EvaluationRun:
    """Compute `model` at `as_of` over the last `window_months` and store the run with its results."""
    full = resolve_params(model, params)
    if not isinstance(as_of, date):
        raise RankingError(_("The evaluation date is not a date."))
    if not isinstance(window_months, int) or not (1 <= window_months <= MAX_WINDOW_MONTHS):
        raise RankingError(_("The window must be from 1 to %(max)d months.") % {"max": MAX_WINDOW_MONTHS})
    facts = engine.load_facts(as_of, window_months)
    results = engine.MODELS[model](facts, full)
    customer_id = {c.code: c.id for c in facts.customers.values()}
    with transaction.atomic():
        run = EvaluationRun.objects.create(
            model=model, as_of=as_of, window_months=window_months, params=params_json(full), started_by=actor
        )
        EvaluationResult.objects.bulk_create(
            [
                EvaluationResult(
                    run=run,
                    customer_id=customer_id[r["customer"]],
                    position=i,
                    rank=r["rank"],
                    score=r["score"],
                    klass=r["class"],
                    indicators=r["indicators"],
                )
                for i, r in enumerate(results)
            ]
        )
    return run


def _stored_results(run: EvaluationRun) -> list[dict]:
    rows = run.results.order_by("position").values_list("customer__code", "rank", "score", "klass", "indicators")
    return [
        {"customer": code, "rank": rank, "score": None if score is None else engine.number(score), "class": klass, "indicators": ind}
        for code, rank, score, klass, ind in rows
    ]


def _summary(run: EvaluationRun, results: list[dict]) -> list[dict]:
    """The pyramid's tier summary (count, share of profit), recomputed from the stored indicators.

    Only the pyramid has a summary in the expected files; value and key-account runs have none."""
    profit = {r["customer"]: Decimal(r["indicators"]["profit"]) for r in results}
    total = sum(profit.values(), Decimal(0))
    out = []
    for tier in LADDERS["pyramid"][0]:
        members = [r["customer"] for r in results if r["class"] == tier]
        tier_profit = sum((profit[m] for m in members), Decimal(0))
        out.append({"class": tier, "count": len(members), "profit_share": engine.number(_exact(tier_profit, total))})
    return out


def _exact(a: Decimal, b: Decimal) -> Fraction:
    return Fraction(a) / Fraction(b) if b else Fraction(0)


def run_payload(run: EvaluationRun) -> dict:
    """The `kehu evaluate --json` document (DATASET.md) of a stored run.

    Key order and number rendering follow the shipped expected files; `summary` is present
    for the pyramid only (the expected value and key-account runs carry none)."""
    results = _stored_results(run)
    payload = {"run": run.pk, "model": run.model, "as_of": run.as_of.isoformat(), "params": run.params, "results": results}
    if run.model == "pyramid":
        payload["summary"] = _summary(run, results)
    return payload


# ---------------------------------------------------------------------------- compare


def runs_compare(run_a: EvaluationRun, run_b: EvaluationRun) -> dict:
    """Who entered, left, was promoted or demoted from run A (before) to run B (after).

    Both runs must use the same model. *Entered*/*left*: customers ranked in B but not in A,
    and the reverse (the ranked population; value prospects carry no rank and count as
    outside it). *Promoted*/*demoted*: customers present in both whose class moved up or
    down its ladder, best first:

    - pyramid: important > major > ordinary > small;
    - value: diamond > strategic > potential > general > problem; prospects have their own
      ladder important_opportunity > general_opportunity. A move between the two ladders
      (a prospect becoming a customer or the reverse) is an entry or a departure, never a
      promotion;
    - key_account: key > other.

    Lists are sorted by customer code."""
    if run_a.model != run_b.model:
        raise RankingError(
            _("Runs %(a)s and %(b)s use different models (%(model_a)s, %(model_b)s) and cannot be compared.")
            % {"a": run_a.pk, "b": run_b.pk, "model_a": run_a.model, "model_b": run_b.model}
        )
    position = {}
    for ladder_no, ladder in enumerate(LADDERS[run_a.model]):
        for i, name in enumerate(ladder):
            position[name] = (ladder_no, i)

    def load(run):
        return {code: (rank, klass) for code, rank, klass in run.results.values_list("customer__code", "rank", "klass")}

    a, b = load(run_a), load(run_b)
    ranked_a = {c for c, (rank, _k) in a.items() if rank is not None}
    ranked_b = {c for c, (rank, _k) in b.items() if rank is not None}
    promoted, demoted = [], []
    for code in sorted(a.keys() & b.keys()):
        (ladder_a, pos_a), (ladder_b, pos_b) = position[a[code][1]], position[b[code][1]]
        if ladder_a != ladder_b or pos_a == pos_b:
            continue
        move = {"customer": code, "from": a[code][1], "to": b[code][1]}
        (promoted if pos_b < pos_a else demoted).append(move)
    return {
        "entered": sorted(ranked_b - ranked_a),
        "left": sorted(ranked_a - ranked_b),
        "promoted": promoted,
        "demoted": demoted,
    }

"""The parameters of the models (DOMAIN.md §5): their defaults, labels and bounds, and
`resolve_params` — the one check every way of setting them goes through (the run page, the
scoring settings page, `kehu evaluate --param`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.ranking.errors import RankingError
from kehu.ranking.scoring import DEFAULTS

MAX_WINDOW_MONTHS = 120
MAX_PARAM = Decimal(10) ** 9  # no parameter needs more (the largest default is a 100,000 pipeline)
MAX_PARAM_PLACES = 6

# {model: {parameter: (label, help)}}, in the order of DEFAULTS.
PARAMETER_TEXT = {
    "pyramid": {
        "important": (gettext_lazy("Important: top share (0–1)"), gettext_lazy("Share of customers, by profit, in the important tier.")),
        "major": (gettext_lazy("Major: top share (0–1)"), gettext_lazy("Cumulative share of customers in the important and major tiers.")),
        "ordinary": (gettext_lazy("Ordinary: top share (0–1)"), gettext_lazy("Cumulative share of customers down to the ordinary tier; the rest are small.")),
    },
    "value": {
        "w_sales": (gettext_lazy("Weight of sales"), gettext_lazy("Weight of the sales percentile score.")),
        "w_collection_rate": (gettext_lazy("Weight of the collection rate"), gettext_lazy("Weight of the collection rate percentile score.")),
        "w_on_time_share": (gettext_lazy("Weight of the on-time share"), gettext_lazy("Weight of the share of instalments paid on time.")),
        "w_margin": (gettext_lazy("Weight of the gross margin"), gettext_lazy("Weight of the gross margin percentile score.")),
        "w_influence": (gettext_lazy("Weight of influence"), gettext_lazy("Weight of the industry influence percentile score.")),
        "w_growth": (gettext_lazy("Weight of growth"), gettext_lazy("Weight of the sales growth percentile score.")),
        "problem_collection_rate": (gettext_lazy("Problem: collection rate below (0–1)"), gettext_lazy("A customer collecting less than this is a problem customer.")),
        "problem_mean_days_late": (gettext_lazy("Problem: mean days late above"), gettext_lazy("A customer paying later than this on average is a problem customer.")),
        "diamond_top": (gettext_lazy("Diamond: top share by score (0–1)"), gettext_lazy("Share of the population, by score rank, that is diamond.")),
        "strategic_top": (gettext_lazy("Strategic: top share by score (0–1)"), gettext_lazy("Score-rank share within which influential customers are strategic.")),
        "strategic_influence": (gettext_lazy("Strategic: minimum influence (1–5)"), gettext_lazy("Industry influence a strategic customer needs at least.")),
        "potential_growth_top": (gettext_lazy("Potential: top share by growth (0–1)"), gettext_lazy("Growth-rank share that makes a customer potential.")),
        "opportunity_influence": (gettext_lazy("Important opportunity: minimum influence (1–5)"), gettext_lazy("A prospect this influential is an important opportunity.")),
        "opportunity_pipeline": (gettext_lazy("Important opportunity: open pipeline from"), gettext_lazy("A prospect with at least this much in open opportunities is an important opportunity.")),
    },
    "key_account": {
        "w_contract_volume": (gettext_lazy("Weight of contract volume"), gettext_lazy("Weight of the amount of contracts signed in the window.")),
        "w_price_level": (gettext_lazy("Weight of the price level"), gettext_lazy("Weight of sales divided by list-price value.")),
        "w_sales": (gettext_lazy("Weight of sales"), gettext_lazy("Weight of the sales percentile score.")),
        "w_collection_rate": (gettext_lazy("Weight of the collection rate"), gettext_lazy("Weight of the collection rate percentile score.")),
        "w_profit": (gettext_lazy("Weight of profit"), gettext_lazy("Weight of the profit percentile score.")),
        "w_quality_losses": (gettext_lazy("Weight of quality losses"), gettext_lazy("Weight of the quality losses score (lower losses score higher).")),
        "w_influence": (gettext_lazy("Weight of influence"), gettext_lazy("Weight of the industry influence percentile score.")),
        "w_reputation": (gettext_lazy("Weight of reputation"), gettext_lazy("Weight of the reputation percentile score.")),
        "threshold": (gettext_lazy("Key-account score threshold (0–100)"), gettext_lazy("Customers scoring at least this are key accounts.")),
    },
}


def parameter_label(model: str, name: str) -> str:
    return PARAMETER_TEXT.get(model, {}).get(name, (name, ""))[0]


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
    invalid = _("Parameter “%(name)s” has an invalid value “%(value)s”.") % {"name": name, "value": text[:40]}
    if len(text) > 40:
        raise RankingError(invalid)
    try:
        if isinstance(default, int) and not isinstance(default, Decimal):
            v = int(text)
        else:
            v = Decimal(text)
            if not v.is_finite():
                raise InvalidOperation
    except (ValueError, ArithmeticError):
        raise RankingError(invalid) from None
    # Bounded before any arithmetic: 1e999999 would be "valid" and make every run crawl.
    if isinstance(v, Decimal):
        too_big = v.adjusted() > 9 or abs(v) > MAX_PARAM  # adjusted() first: abs(1e99999999) overflows
        too_fine = not too_big and v.normalize().as_tuple().exponent < -MAX_PARAM_PLACES
    else:
        too_big, too_fine = abs(v) > MAX_PARAM, False
    if too_big or too_fine:
        raise RankingError(
            _("Parameter “%(name)s” must be at most %(max)s with at most %(places)d decimals.")
            % {"name": name, "max": f"{MAX_PARAM:,}", "places": MAX_PARAM_PLACES}
        )
    return v


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


def ordered_params(run) -> dict:
    """A run's stored parameters in the model's order (DOMAIN.md §5 / the expected files).
    PostgreSQL's jsonb keeps no key order, so readers never rely on the stored one."""
    stored = dict(run.params or {})
    order = list(DEFAULTS.get(run.model, {}))
    return {k: stored[k] for k in order if k in stored} | {k: stored[k] for k in sorted(stored) if k not in order}


def params_json(params: dict) -> dict:
    """Parameters as stored and printed: Decimals as decimal strings, integers as integers."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in params.items()}

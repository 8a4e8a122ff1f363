"""What a settings page showed, for the stale-edit guard (BRIEF: `kehu.core.forms`
`SeenFormMixin` / `check_not_stale`). The guard compares a record's fields with the values the
form was opened with; two ranking pages show values that are not one row's columns:

- a scoring settings card shows one `RankingSettings` row, its parameters spread out of the
  `params` JSON (one input per parameter, "" = the default);
- the tier policies page shows every `TierPolicy` row at once and saves them all, so its guard
  covers the whole set ("<model>-<class>-<field>", "" = not set or no row).

A `Snapshot` stands in for the model instance: the values by form field name, `pk`, and
`refresh_from_db()` (after a refusal the form compares with what the user has now seen)."""

from __future__ import annotations

from decimal import Decimal

from kehu.ranking.models import RankingSettings, TierPolicy
from kehu.ranking.scoring import DEFAULTS

POLICY_FIELDS = ("max_discount_pct", "payment_term_days", "visit_interval_days", "commission_rate_pct", "service_notes")


class Snapshot:
    def __init__(self, load, pk=1):
        self._load = load
        self.pk = pk
        self.values = load()

    def __getattr__(self, name):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def refresh_from_db(self):
        self.values = self._load()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def param_field_name(name: str) -> str:
    return f"p_{name}"


def settings_values(conf: RankingSettings) -> dict:
    """{form field: value} of one model's settings as its card shows them."""
    stored = conf.params or {}
    values = {"window_months": conf.window_months, "every_months": conf.every_months}
    values.update({param_field_name(name): _text(stored.get(name)) for name in DEFAULTS[conf.model]})
    return values


def settings_snapshot(conf: RankingSettings) -> Snapshot:
    """One model's settings: `conf` as already read (and locked), re-read on refresh."""
    fresh = True

    def load():
        nonlocal fresh
        if not fresh:
            conf.refresh_from_db()
        fresh = False
        return settings_values(conf)

    return Snapshot(load, pk=conf.pk)


def policy_field_key(model: str, klass: str, name: str) -> str:
    return f"{model}-{klass}-{name}"


def policies_values(rows) -> dict:
    """{"<model>-<class>-<field>": value} of the given TierPolicy rows (absent rows count as blank)."""
    from kehu.ranking.policy import model_classes

    by_key = {(r.model, r.klass): r for r in rows}
    values = {}
    for model, classes in model_classes().items():
        for klass, _label in classes:
            row = by_key.get((model, klass))
            for name in POLICY_FIELDS:
                values[policy_field_key(model, klass, name)] = _text(getattr(row, name) if row is not None else None).strip()
    return values


def policies_snapshot(rows=None) -> Snapshot:
    """The whole set of tier policies: `rows` as already read (and locked), else read now."""
    given = list(rows) if rows is not None else None

    def load():
        nonlocal given
        current, given = (given if given is not None else TierPolicy.objects.all()), None
        return policies_values(current)

    return Snapshot(load)

"""Tier policies (DOMAIN.md §5.4): the terms a customer gets from its current ranking.

A customer's current ranking is on the customer (set by the latest run of each model):
`is_key_account` (policy key_account:key), `value_class` (policy value:<class>) and
`pyramid_tier` (policy pyramid:<tier>). Rule (docs/rules.md, "Tier policies"): **per field,
the first policy that sets it wins, in the order key account → value class → pyramid tier →
company default** (CompanySettings: default maximum discount, payment term, commission rate;
the visit interval defaults to `key_account_visit_days` for a key account, else none).
Service notes are all kept, in the same order. `Policy.tier` is the key of the policy that set the
maximum discount ("value:problem", shown by `kehu.sales.policy.policy_label`), "" when it is the company default.

Registered (kehu.ranking.wiring) as a provider of `kehu.sales.policy.POLICY_PROVIDERS`
(answers only for customers with at least one applicable TierPolicy row, so the company
default answers for the others) and of `kehu.activities.hooks.VISIT_INTERVAL_PROVIDERS`
(answers only where a tier policy sets the interval). Bulk: three queries whatever the
number of customers (their ranking fields, every TierPolicy row, the company settings).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.models import CompanySettings
from kehu.customers.models import Customer
from kehu.ranking.models import TierPolicy
from kehu.sales.policy import Policy, policy_key
from kehu.sales.policy import policy_label as key_label

KEY = "key"
# Policy fields, in the order shown.
FIELDS = ("max_discount_pct", "payment_term_days", "commission_rate_pct", "visit_interval_days")
MODELS = ("key_account", "value", "pyramid")
FIELD_LABELS = {
    "max_discount_pct": gettext_lazy("Maximum discount %"), "payment_term_days": gettext_lazy("Payment term (days)"),
    "commission_rate_pct": gettext_lazy("Commission rate %"), "visit_interval_days": gettext_lazy("Visit interval (days)"),
    "service_notes": gettext_lazy("Service notes"),
}


def model_classes() -> dict[str, list[tuple[str, str]]]:
    """{model: [(class, label)]} best first: the rows of the policies page."""
    return {
        "key_account": [(KEY, _("Key account"))],
        "value": [(c.value, str(c.label)) for c in Customer.ValueClass],
        "pyramid": [(c.value, str(c.label)) for c in Customer.PyramidTier],
    }


def policy_label(model: str, klass: str) -> str:
    """A human label of one policy, in the active language: "Problem (value class)"."""
    return key_label(policy_key(model, klass))


def placements(*, is_key_account: bool, value_class: str, pyramid_tier: str) -> list[tuple[str, str]]:
    """The (model, class) of the policies that apply, in the order they win."""
    found = []
    if is_key_account:
        found.append(("key_account", KEY))
    if value_class:
        found.append(("value", value_class))
    if pyramid_tier:
        found.append(("pyramid", pyramid_tier))
    return found


@dataclass(frozen=True)
class RankedPolicy(Policy):
    """A Policy that also tells which policy set each field ({field: policy key}, "" = the company
    default); `kehu.sales.services.quotes` / `kehu.finance.services.contracts` read `sources` when present."""

    sources: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Resolved:
    policy: Policy
    sources: dict = field(default_factory=dict)  # {field: key of the policy that set it, "" = company default}
    notes: list = field(default_factory=list)  # [(label, service notes)] in order
    applied: list = field(default_factory=list)  # [(model, class)] that have a policy row
    placements: list = field(default_factory=list)  # [(model, class)] of the customer's ranking


def resolve(placed: list[tuple[str, str]], rows: dict, conf: CompanySettings, *, is_key_account: bool) -> Resolved:
    """Apply the rule to one customer: `rows` = {(model, class): TierPolicy}."""
    values: dict = {}
    sources: dict = {}
    notes, applied = [], []
    for model, klass in placed:
        row = rows.get((model, klass))
        if row is None:
            continue
        applied.append((model, klass))
        label, key = policy_label(model, klass), policy_key(model, klass)
        for name in FIELDS:
            value = getattr(row, name)
            if name not in values and value is not None:
                values[name], sources[name] = value, key
        if row.service_notes.strip():
            notes.append((label, row.service_notes.strip()))
    defaults = {
        "max_discount_pct": conf.default_max_discount_pct,
        "payment_term_days": conf.default_payment_term_days,
        "commission_rate_pct": conf.default_commission_rate_pct,
        "visit_interval_days": (conf.key_account_visit_days or None) if is_key_account else None,
    }
    for name in FIELDS:
        if name not in values:
            values[name], sources[name] = defaults[name], ""
    policy = RankedPolicy(
        max_discount_pct=Decimal(values["max_discount_pct"]), payment_term_days=int(values["payment_term_days"]),
        commission_rate_pct=Decimal(values["commission_rate_pct"]), visit_interval_days=values["visit_interval_days"],
        tier=sources["max_discount_pct"], sources=dict(sources),
    )
    return Resolved(policy=policy, sources=sources, notes=notes, applied=applied, placements=list(placed))


def _rows() -> dict:
    return {(r.model, r.klass): r for r in TierPolicy.objects.all()}


def _placed(ids, rows) -> tuple[dict, dict]:
    """({id: placements}, {id: is key account}) of the customers in `ids` that are ranked."""
    if not rows:
        return {}, {}
    ranking = Customer.objects.filter(pk__in=ids).filter(
        Q(is_key_account=True) | ~Q(value_class="") | ~Q(pyramid_tier="")
    ).values_list("pk", "is_key_account", "value_class", "pyramid_tier")
    placed, flags = {}, {}
    for pk, k, v, p in ranking:
        found = [m for m in placements(is_key_account=k, value_class=v, pyramid_tier=p) if m in rows]
        if found:
            placed[pk], flags[pk] = found, bool(k)
    return placed, flags


def resolve_many(customer_ids) -> dict[int, Resolved]:
    """{customer id: Resolved} for the given customers that have at least one applicable policy
    row: one query when no policy is set, else three (policies, customers, company settings)."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return {}
    rows = _rows()
    placed, flags = _placed(ids, rows)
    if not placed:
        return {}
    conf = CompanySettings.load()
    return {pk: resolve(found, rows, conf, is_key_account=flags[pk]) for pk, found in placed.items()}


def tier_policies(customer_ids) -> dict[int, Policy]:
    """POLICY_PROVIDERS entry: {id: Policy} for the customers with at least one applicable
    TierPolicy row (full Policy objects, unset fields from the company default)."""
    return {pk: r.policy for pk, r in resolve_many(customer_ids).items()}


def tier_commission_rate_cases(customer_path: str) -> list:
    """COMMISSION_RATE_SQL entry of `tier_policies`: [(Q on the customer at `customer_path`, rate %)]
    in the order of the rule (key account → value class → pyramid tier, the first policy that sets
    the rate), then every customer this provider answers for (an applicable policy row) at the
    company default (rate None). One query (the policy rows)."""
    from django.db.models import Q as _Q

    p = f"{customer_path}__" if customer_path else ""
    rows = _rows()
    if not rows:
        return []
    field_of = {"key_account": "is_key_account", "value": "value_class", "pyramid": "pyramid_tier"}

    def placed_in(model, klass):
        if model == "key_account":
            return _Q(**{f"{p}is_key_account": True}) if klass == KEY else None
        return _Q(**{f"{p}{field_of[model]}": klass}) if klass else None

    cases, answered = [], None
    for model in MODELS:
        for (m, klass), row in sorted(rows.items()):
            q = placed_in(m, klass) if m == model else None
            if q is None:
                continue
            answered = q if answered is None else answered | q
            if row.commission_rate_pct is not None:
                cases.append((q, row.commission_rate_pct))
    if answered is not None:
        cases.append((answered, None))  # None: the company default
    return cases


def tier_visit_intervals(*, customer_ids) -> dict[int, int]:
    """VISIT_INTERVAL_PROVIDERS entry: {id: days} where a tier policy sets the visit interval
    (first in the order key account → value class → pyramid tier). One or two queries."""
    ids = list(dict.fromkeys(customer_ids))
    rows = {key: r for key, r in _rows().items() if r.visit_interval_days is not None} if ids else {}
    placed, _flags = _placed(ids, rows)
    return {pk: rows[found[0]].visit_interval_days for pk, found in placed.items()}


def customer_policy_detail(customer) -> dict:
    """For the customer page panel: the policy of `customer` (from its ranking fields as given),
    one row per field with its value and source, the service notes, and the placements.

    {"policy": Policy, "fields": [{"name", "label", "value", "source"}], "sources": {field: label},
     "notes": [{"source", "text"}], "placements": [label], "is_default": bool}
    (source "" = the company default). Two or three queries."""
    placed = placements(is_key_account=customer.is_key_account, value_class=customer.value_class,
                        pyramid_tier=customer.pyramid_tier)
    rows = _rows() if placed else {}
    resolved = resolve(placed, rows, CompanySettings.load(), is_key_account=customer.is_key_account)
    return {
        "policy": resolved.policy,
        "fields": [{"name": n, "label": FIELD_LABELS[n], "value": getattr(resolved.policy, n), "source": key_label(resolved.sources[n])}
                   for n in FIELDS],
        "sources": {n: key_label(k) for n, k in resolved.sources.items()},
        "notes": [{"source": label, "text": text} for label, text in resolved.notes],
        "placements": [policy_label(m, k) for m, k in placed],
        "is_default": not resolved.applied,
    }


def policy_sources(customer) -> dict[str, str]:
    """{field: label of the policy that set it} ("" = the company default)."""
    return customer_policy_detail(customer)["sources"]


# --- the policies page (admin): what it edits; the write is kehu.ranking.services.policies ------

EDITABLE = ("max_discount_pct", "payment_term_days", "visit_interval_days", "commission_rate_pct", "service_notes")
MAX_DAYS = 3650

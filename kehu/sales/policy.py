"""The terms a customer gets (DOMAIN.md §5.4): maximum discount, payment term, commission
rate, required visit interval. Until a ranking run places a customer in a tier, the default
policy of the company settings applies. The ranking app (a layer above) registers a provider
in POLICY_PROVIDERS that answers for the customers it has placed; the first answer wins.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.core.hooks import Hook
from kehu.core.models import CompanySettings
from kehu.customers.models import Customer


@dataclass(frozen=True)
class Policy:
    max_discount_pct: Decimal
    payment_term_days: int
    commission_rate_pct: Decimal
    visit_interval_days: int | None = None
    tier: str = ""  # the key ("value:problem") of the policy that set the maximum discount; "" for the company default


# fn(customer_ids: list[int]) -> {customer id: Policy} for the customers it knows; registered
# (POLICY_PROVIDERS.register(fn)) by the apps above, asked in the order of registration.
POLICY_PROVIDERS: Hook[Callable[[list[int]], dict[int, Policy]]] = Hook("sales.policy_providers")


# fn(customer_path: str) -> [(Q, commission rate %)] in the order they win: the SQL form of one
# POLICY_PROVIDERS entry's commission rate (registered with key=that entry), a Q on the customer at
# `customer_path` for each rate it gives (None: the company default), the last covering every
# customer it answers for.
# `commission_rate_cases` reads them so that a report can compute a rate per row in SQL.
COMMISSION_RATE_SQL: Hook[Callable[[str], list]] = Hook("sales.commission_rate_sql")


def commission_rate_cases(customer_path: str):
    """([(Q, rate %)], default rate %): the commission rate of `customer_policies` as conditions on
    the customer at `customer_path` (the first that holds wins, else the company default), or None
    when a registered policy provider has no SQL form (then ask `customer_policies`)."""
    cases = []
    for provider in POLICY_PROVIDERS:
        sql_form = COMMISSION_RATE_SQL.get(provider)
        if sql_form is None:
            return None
        cases += sql_form(customer_path)
    default = default_policy().commission_rate_pct
    return [(q, default if rate is None else rate) for q, rate in cases], default


def default_policy() -> Policy:
    settings = CompanySettings.load()
    return Policy(
        max_discount_pct=settings.default_max_discount_pct,
        payment_term_days=settings.default_payment_term_days,
        commission_rate_pct=settings.default_commission_rate_pct,
    )


def customer_policies(customer_ids) -> dict[int, Policy]:
    """{customer id: Policy} for every id given."""
    ids = list(dict.fromkeys(customer_ids))
    found: dict[int, Policy] = {}
    for provider in POLICY_PROVIDERS:
        missing = [i for i in ids if i not in found]
        if not missing:
            break
        found.update({k: v for k, v in provider(missing).items() if k not in found})
    if len(found) < len(ids):
        default = default_policy()
        for i in ids:
            found.setdefault(i, default)
    return found


def customer_policy(customer) -> Policy:
    return customer_policies([customer.pk])[customer.pk]


def policy_source(policy, name: str) -> str:
    """The key of the tier policy that set field `name` of `policy` ("" = the company default);
    `policy_label` shows it. Tier policies (kehu.ranking.policy.RankedPolicy) carry `sources`;
    a plain Policy only `tier`, the source of its maximum discount."""
    sources = getattr(policy, "sources", None) or {}
    if name in sources:
        return sources[name]
    return policy.tier if name == "max_discount_pct" else ""


def policy_key(model: str, klass: str) -> str:
    """The stored name of one tier policy: "value:problem", "pyramid:small", "key_account:key"."""
    return f"{model}:{klass}"


def policy_label(key: str) -> str:
    """A policy key shown in the active language: "Problem (value class)"; "" stays "" (the
    company default). Stored records keep the key, so each reader sees their own language."""
    if not key or ":" not in key:
        return key or ""
    model, klass = key.split(":", 1)
    if model == "key_account":
        return _("Key account")
    if model == "value":
        name = Customer.ValueClass(klass).label if klass in Customer.ValueClass.values else klass
        return _("%(name)s (value class)") % {"name": name}
    name = Customer.PyramidTier(klass).label if klass in Customer.PyramidTier.values else klass
    return _("%(name)s (pyramid tier)") % {"name": name}

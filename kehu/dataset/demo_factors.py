"""The buying factors of the demo company (`kehu demo`, issue 12): first and second factor of the
demo customers and opportunities, so that the buying-factors report has a spread to show.

Deterministic (a CRC of the code picks, with weights) and idempotent: only blank factors are
filled, and a row the pick leaves blank (about one customer in ten, "not known") stays blank, so a
second `kehu demo` changes nothing; a factor set by hand or by the dataset is never changed (a
missing second factor is added next to it). The weights tell the 002 story: the top tiers buy on
value and relationship, the small customers on price; deals won lean on value and relationship,
deals lost on price. Written in bulk, without audit events (demo data, like the import)."""

import zlib

from kehu.customers.models import BuyingFactor

V, P, R, I = BuyingFactor.VALUE, BuyingFactor.PRICE, BuyingFactor.RELATIONSHIP, BuyingFactor.INNOVATION

BY_TIER = {
    "important": {V: 5, R: 3, I: 2, P: 1},
    "major": {V: 3, R: 3, P: 2, I: 1},
    "ordinary": {P: 3, R: 2, V: 2, I: 1},
    "small": {P: 5, R: 2, V: 1, I: 1},
    "": {P: 3, V: 2, R: 2, I: 1},
}
WON = {V: 4, R: 3, I: 2, P: 1}
LOST = {P: 5, V: 1, R: 1, I: 1}
OPEN = {V: 2, P: 2, R: 2, I: 1}
UNKNOWN_ONE_IN = 10


def _pick(code: str, salt: str, weights: dict, exclude: str = "") -> str:
    choices = [(f, w) for f, w in weights.items() if f != exclude]
    n = zlib.crc32(f"{salt}:{code}".encode()) % sum(w for _f, w in choices)
    for factor, weight in choices:
        if n < weight:
            return str(factor)
        n -= weight
    return str(choices[-1][0])


def _pair(code: str, weights: dict, first: str, second: str) -> tuple[str, str]:
    first = first or _pick(code, "first", weights)
    second = second or _pick(code, "second", weights, exclude=first)
    return first, second


def demo_factors() -> int:
    """Fill the blank factors of the demo's customers and opportunities; returns the rows changed."""
    from kehu.customers.models import Customer
    from kehu.sales.models import Opportunity

    customers = []
    for c in Customer.objects.filter(is_deleted=False).only("pk", "code", "pyramid_tier", "buying_factor", "buying_factor_second"):
        if c.buying_factor and c.buying_factor_second:
            continue
        if not c.buying_factor and zlib.crc32(f"unknown:{c.code}".encode()) % UNKNOWN_ONE_IN == 0:
            continue
        pair = _pair(c.code, BY_TIER.get(c.pyramid_tier, BY_TIER[""]), c.buying_factor, c.buying_factor_second)
        if pair != (c.buying_factor, c.buying_factor_second):
            c.buying_factor, c.buying_factor_second = pair
            customers.append(c)
    Customer.objects.bulk_update(customers, ["buying_factor", "buying_factor_second"], batch_size=500)

    opportunities = []
    for o in Opportunity.objects.select_related("stage").only(
            "pk", "code", "stage__is_closed", "stage__is_won", "buying_factor", "buying_factor_second"):
        if o.buying_factor and o.buying_factor_second:
            continue
        weights = (WON if o.stage.is_won else LOST) if o.stage.is_closed else OPEN
        pair = _pair(o.code, weights, o.buying_factor, o.buying_factor_second)
        if pair != (o.buying_factor, o.buying_factor_second):
            o.buying_factor, o.buying_factor_second = pair
            opportunities.append(o)
    Opportunity.objects.bulk_update(opportunities, ["buying_factor", "buying_factor_second"], batch_size=500)
    return len(customers) + len(opportunities)

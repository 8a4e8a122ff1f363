"""The three models of DOMAIN.md §5: the customer pyramid (§5.1), customer value (§5.2) and
key accounts (§5.3). Each is `model(facts, params) -> results`, pure: the facts come in
(`kehu.ranking.facts.load_facts`), the result list of `kehu evaluate --json` goes out."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from kehu.ranking.scoring.inputs import LIST_SCALE, ZERO, CustomerFacts, Facts
from kehu.ranking.scoring.numbers import (
    cents,
    fraction_as_ratio,
    less,
    money,
    money_cents,
    number,
    rating,
    ratio_keys,
    round_ratio,
    top,
    weighted_scores,
)

PYRAMID_DEFAULTS = {"important": Decimal("0.01"), "major": Decimal("0.20"), "ordinary": Decimal("0.50")}
VALUE_DEFAULTS = {
    "w_sales": Decimal(1),
    "w_collection_rate": Decimal(1),
    "w_on_time_share": Decimal(1),
    "w_margin": Decimal(1),
    "w_influence": Decimal(1),
    "w_growth": Decimal(1),
    "problem_collection_rate": Decimal("0.70"),
    "problem_mean_days_late": Decimal(60),
    "diamond_top": Decimal("0.05"),
    "strategic_top": Decimal("0.30"),
    "strategic_influence": 4,
    "potential_growth_top": Decimal("0.25"),
    "opportunity_influence": 4,
    "opportunity_pipeline": Decimal("100000"),
}
KEY_ACCOUNT_DEFAULTS = {
    "w_contract_volume": Decimal(15),
    "w_price_level": Decimal(10),
    "w_sales": Decimal(20),
    "w_collection_rate": Decimal(15),
    "w_profit": Decimal(20),
    "w_quality_losses": Decimal(10),
    "w_influence": Decimal(5),
    "w_reputation": Decimal(5),
    "threshold": Decimal(70),
}
# Every model's parameters and their defaults, in the order of DOMAIN.md §5 / the expected files.
DEFAULTS = {"pyramid": PYRAMID_DEFAULTS, "value": VALUE_DEFAULTS, "key_account": KEY_ACCOUNT_DEFAULTS}

_RATINGS: dict = {}


def _rating(x: int) -> Decimal:
    r = _RATINGS.get(x)
    if r is None:
        r = _RATINGS[x] = rating(x)
    return r


def _ratio_memo():
    """`round_ratio` of a ratio pair, remembered (a Decimal is immutable): for the indicators
    most customers share a few values of."""
    seen: dict = {}

    def ratio(pair):
        value = seen.get(pair)
        if value is None:
            value = seen[pair] = round_ratio(*pair)
        return value

    return ratio


class Row:
    """A ranked customer's numbers as integers (cents, ratio pairs), computed once."""

    __slots__ = (
        "c", "sales", "cost", "profit", "sales_prev", "collection", "on_time", "days_late", "margin", "growth",
        "price_level", "influence", "reputation",
    )

    def __init__(self, c: CustomerFacts):
        self.c = c
        self.sales = cents(c.sales)
        self.cost = cents(c.cost)
        self.profit = self.sales - self.cost - (cents(c.write_offs) if c.write_offs is not None else 0)
        self.sales_prev = cents(c.sales_prev)
        if c.due:
            total = collected = on_time = late = 0
            for amount, coll, ontime, days in c.due:
                total += cents(amount)
                collected += cents(coll)
                on_time += 1 if ontime else 0
                late += days
            self.collection = ((collected, total) if total > 0 else (-collected, -total)) if total else (1, 1)
            self.on_time = (on_time, len(c.due))
            self.days_late = (late, len(c.due))
        else:
            self.collection, self.on_time, self.days_late = (1, 1), (1, 1), (0, 1)
        self.margin = (self.profit, self.sales) if self.sales > 0 else ((-self.profit, -self.sales) if self.sales else (0, 1))
        if self.sales_prev > 0:
            self.growth = (self.sales - self.sales_prev, self.sales_prev)
        elif self.sales_prev < 0:
            self.growth = (self.sales_prev - self.sales, -self.sales_prev)
        else:
            self.growth = (1, 1)
        # price level = S / (Σ quantity × list price), the list value stored in 10^-8 units
        lv = c.list_value
        if not lv:
            self.price_level = (0, 1)
        elif lv > 0:
            self.price_level = (self.sales * (LIST_SCALE // 100), lv)
        else:
            self.price_level = (-self.sales * (LIST_SCALE // 100), -lv)
        self.influence = c.influence_value
        self.reputation = c.reputation_value


def pyramid(facts: Facts, params: dict | None = None) -> list[dict]:
    """§5.1: rank by profit desc, revenue desc, code asc; tiers at ⌈q·N⌉."""
    p = {**PYRAMID_DEFAULTS, **(params or {})}
    rows = [Row(c) for c in facts.population]
    rows.sort(key=lambda r: (-r.profit, -r.sales, r.c.code))
    n = len(rows)
    cuts = [("important", top(p["important"], n)), ("major", top(p["major"], n)), ("ordinary", top(p["ordinary"], n))]
    results = []
    for rank, row in enumerate(rows, start=1):
        tier = next((name for name, cut in cuts if rank <= cut), "small")
        results.append(
            {
                "customer": row.c.code, "rank": rank, "score": None, "class": tier,
                "indicators": {"profit": money_cents(row.profit), "sales": money_cents(row.sales)},
            }
        )
    return results


def pyramid_summary(facts: Facts, results: list[dict]) -> list[dict]:
    """Per tier: count and share of total profit (4 decimals)."""
    profit = {c.code: c.profit for c in facts.population}
    total = sum(profit.values(), Decimal(0))
    out = []
    for tier in ("important", "major", "ordinary", "small"):
        members = [r["customer"] for r in results if r["class"] == tier]
        tier_profit = sum((profit[m] for m in members), Decimal(0))
        share = Fraction(tier_profit) / Fraction(total) if total else Fraction(0)
        out.append({"class": tier, "count": len(members), "profit_share": number(share)})
    return out


def value(facts: Facts, params: dict | None = None) -> list[dict]:
    """§5.2: weighted percentile score, classes problem/diamond/strategic/potential/general; prospects."""
    return value_ranked(facts, params) + value_prospects(facts, params)


def value_ranked(facts: Facts, params: dict | None = None) -> list[dict]:
    """The ranked part of `value`: the population in rank order."""
    p = {**VALUE_DEFAULTS, **(params or {})}
    rows = {c.id: Row(c) for c in facts.population}
    growth_keys = ratio_keys({k: r.growth for k, r in rows.items()})
    keys = {
        "sales": {k: r.sales for k, r in rows.items()},
        "collection_rate": ratio_keys({k: r.collection for k, r in rows.items()}),
        "on_time_share": ratio_keys({k: r.on_time for k, r in rows.items()}),
        "margin": ratio_keys({k: r.margin for k, r in rows.items()}),
        "influence": {k: r.influence for k, r in rows.items()},
        "growth": growth_keys,
    }
    score, den = weighted_scores(keys, {name: p[f"w_{name}"] for name in keys})
    n = len(rows)
    by_score = sorted(rows.values(), key=lambda r: (-score[r.c.id], -r.sales, r.c.code))
    growth_rank = {r.c.id: i for i, r in enumerate(sorted(rows.values(), key=lambda r: (-growth_keys[r.c.id], r.c.code)), start=1)}
    diamond, strategic, potential = top(p["diamond_top"], n), top(p["strategic_top"], n), top(p["potential_growth_top"], n)
    problem_rate = fraction_as_ratio(p["problem_collection_rate"])
    problem_late = fraction_as_ratio(p["problem_mean_days_late"])
    shared = _ratio_memo()  # the collection, on-time and days-late ratios: mostly 1/1 and 0/1
    results = []
    for sr, r in enumerate(by_score, start=1):
        c = r.c
        if less(r.collection, problem_rate) or less(problem_late, r.days_late):
            klass = "problem"
        elif sr <= diamond:
            klass = "diamond"
        elif r.influence >= p["strategic_influence"] and sr <= strategic:
            klass = "strategic"
        elif growth_rank[c.id] <= potential and sr > strategic:
            klass = "potential"
        else:
            klass = "general"
        results.append(
            {
                "customer": c.code,
                "rank": sr,
                "score": round_ratio(score[c.id], den),
                "class": klass,
                "indicators": {
                    "sales": money_cents(r.sales),
                    "collection_rate": shared(r.collection),
                    "on_time_share": shared(r.on_time),
                    "margin": round_ratio(*r.margin),
                    "influence": _rating(r.influence),
                    "growth": round_ratio(*r.growth),
                    "mean_days_late": shared(r.days_late),
                },
            }
        )
    return results


def value_prospects(facts: Facts, params: dict | None = None) -> list[dict]:
    """The unranked part of `value`: the prospects (no lines to date) by code. It depends on no
    ranked customer, so a run can store it while the ranked part is computed."""
    p = {**VALUE_DEFAULTS, **(params or {})}
    results = []
    min_influence, min_pipeline = p["opportunity_influence"], p["opportunity_pipeline"]
    for c in sorted(facts.prospects, key=lambda c: c.code):
        influence = c.influence_value
        pipeline = c.open_pipeline
        important = influence >= min_influence or (pipeline or ZERO) >= min_pipeline
        results.append(
            {
                "customer": c.code,
                "rank": None,
                "score": None,
                "class": "important_opportunity" if important else "general_opportunity",
                "indicators": {"influence": influence, "open_pipeline": "0" if pipeline is None else money(pipeline)},
            }
        )
    return results


def key_account(facts: Facts, params: dict | None = None) -> list[dict]:
    """§5.3: weighted percentile score over eight criteria; key when score ≥ threshold."""
    p = {**KEY_ACCOUNT_DEFAULTS, **(params or {})}
    rows = {c.id: Row(c) for c in facts.population}
    volume = {k: cents(r.c.contract_volume) if r.c.contract_volume is not None else 0 for k, r in rows.items()}
    losses = {k: cents(r.c.quality_losses) if r.c.quality_losses is not None else 0 for k, r in rows.items()}
    keys = {
        "contract_volume": volume,
        "price_level": ratio_keys({k: r.price_level for k, r in rows.items()}),
        "sales": {k: r.sales for k, r in rows.items()},
        "collection_rate": ratio_keys({k: r.collection for k, r in rows.items()}),
        "profit": {k: r.profit for k, r in rows.items()},
        "quality_losses": losses,
        "influence": {k: r.influence for k, r in rows.items()},
        "reputation": {k: r.reputation for k, r in rows.items()},
    }
    score, den = weighted_scores(keys, {name: p[f"w_{name}"] for name in keys}, lower_is_better=("quality_losses",))
    ordered = sorted(rows.values(), key=lambda r: (-score[r.c.id], -r.sales, r.c.code))
    tn, td = fraction_as_ratio(p["threshold"])  # score ≥ threshold ⇔ T·td ≥ tn·den
    return [
        {
            "customer": r.c.code,
            "rank": rank,
            "score": round_ratio(score[r.c.id], den),
            "class": "key" if score[r.c.id] * td >= tn * den else "other",
            "indicators": {
                "contract_volume": money(r.c.contract_volume),
                "price_level": round_ratio(*r.price_level),
                "sales": money_cents(r.sales),
                "collection_rate": round_ratio(*r.collection),
                "profit": money_cents(r.profit),
                "quality_losses": money(r.c.quality_losses),
                "influence": _rating(r.influence),
                "reputation": _rating(r.reputation),
            },
        }
        for rank, r in enumerate(ordered, start=1)
    ]


MODELS = {"pyramid": pyramid, "value": value, "key_account": key_account}

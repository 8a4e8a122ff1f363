"""The evaluation core of DOMAIN.md §5.0–§5.3: pure computation over bulk-loaded facts.

`load_facts(as_of, months)` reads everything a run needs with a fixed number of queries
(aggregated in SQL, grouped by customer); `pyramid`, `value` and `key_account` turn the facts
into the result list of `kehu evaluate --json` (DATASET.md). Arithmetic is exact: amounts
are Decimals, ratios and scores Fractions, rounded half-up only when formatted.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, Sum

from kehu.finance.services import apply_in_memory

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
DEFAULT_RATING = 3
LIST_SCALE = 10**8  # quantity (4 decimals) × list price (4 decimals), as stored integers

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


# ---------------------------------------------------------------------------- windows


def months_before(d: date, months: int) -> date:
    """d − months calendar months, the day clamped to the month's end (2024-02-29 − 12 = 2023-02-28)."""
    index = d.year * 12 + (d.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def window(as_of: date, months: int = 12) -> tuple[date, date]:
    """W = (start_exclusive, end_inclusive]: the dates d with as_of − months < d ≤ as_of."""
    return months_before(as_of, months), as_of


def previous_window(as_of: date, months: int = 12) -> tuple[date, date]:
    """W′: same length, ending where W starts (exclusive start of W = inclusive end of W′)."""
    start, _ = window(as_of, months)
    return window(start, months)


# ---------------------------------------------------------------------------- numbers


def percentile_fractions(values: dict, lower_is_better: bool = False) -> dict:
    """§5.0 percentile score, exact: average ranks for ties, 100 when N = 1."""
    n = len(values)
    if n == 0:
        return {}
    if n == 1:
        return {k: Fraction(100) for k in values}
    ordered = sorted(values, key=lambda k: values[k])
    rank = {}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and values[ordered[j + 1]] == values[ordered[i]]:
            j += 1
        avg = Fraction(i + 1 + j + 1, 2)  # positions i..j → ranks i+1..j+1
        for k in ordered[i : j + 1]:
            rank[k] = avg
        i = j + 1
    out = {}
    for k, r in rank.items():
        score = 100 * (r - 1) / (n - 1)
        out[k] = 100 - score if lower_is_better else score
    return out


def percentile_scores(values: dict, lower_is_better: bool = False) -> dict:
    """Percentile scores as Decimals (exact ranks, division at the Decimal context precision)."""
    fractions = percentile_fractions({k: Fraction(v) for k, v in values.items()}, lower_is_better)
    return {k: Decimal(f.numerator) / Decimal(f.denominator) for k, f in fractions.items()}


def round_half_up(x, places: int = 4) -> Decimal:
    """An exact number (Fraction, Decimal, int) rounded half-up (away from zero) to `places`."""
    f = Fraction(x)
    scale = 10**places
    n = abs(f) * scale
    q = math.floor(n + Fraction(1, 2))
    if f < 0:
        q = -q
    return Decimal(q).scaleb(-places)


def number(x, places: int = 4) -> Decimal:
    """A ratio/score as the expected files write it: rounded half-up to `places`, kept a Decimal
    (written as a JSON number by `dumps`, never through a float)."""
    return round_half_up(x, places)


def rating(x) -> Decimal:
    """Influence or reputation (1–5) as the ranked results write it: 3 → 3.0."""
    return Decimal(int(x)).quantize(Decimal("0.1"))


def dumps(document) -> str:
    """JSON with every Decimal written as an exact number (simplejson's use_decimal)."""
    from kehu.ranking.exactjson import ExactEncoder

    return ExactEncoder(ensure_ascii=False).encode(document)


def money(value: Decimal | None) -> str:
    """Money as the expected files write it: '0' when there is nothing, else to the cent."""
    if value is None:
        return "0"
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def top(q, n: int) -> int:
    """⌈q · N⌉ (exact)."""
    return math.ceil(Fraction(q) * n)


# ---------------------------------------------------------------------------- facts


@dataclass
class CustomerFacts:
    id: int
    code: str
    influence: int | None
    reputation: int | None
    sales: Decimal = ZERO  # S in W
    cost: Decimal = ZERO
    sales_prev: Decimal = ZERO  # S′ in W′
    write_offs: Decimal | None = None  # bad-debt write-offs dated in W
    contract_volume: Decimal | None = None  # Σ amount of contracts signed in W
    list_value: int = 0  # Σ quantity × list price in W, in 10^-8 units
    quality_losses: Decimal | None = None
    open_pipeline: Decimal | None = None
    has_lines_in_window: bool = False
    has_lines_to_date: bool = False
    due: list = field(default_factory=list)  # [(amount, collected, on_time, days_late)]

    @property
    def profit(self) -> Decimal:
        return self.sales - self.cost - (self.write_offs or ZERO)

    @property
    def influence_value(self) -> int:
        return self.influence if self.influence is not None else DEFAULT_RATING

    @property
    def reputation_value(self) -> int:
        return self.reputation if self.reputation is not None else DEFAULT_RATING

    @property
    def collection_rate(self) -> Fraction:
        total = sum((a for a, _, _, _ in self.due), Decimal(0))
        if not total:
            return Fraction(1)
        return Fraction(sum((c for _, c, _, _ in self.due), Decimal(0))) / Fraction(total)

    @property
    def on_time_share(self) -> Fraction:
        if not self.due:
            return Fraction(1)
        return Fraction(sum(1 for d in self.due if d[2]), len(self.due))

    @property
    def mean_days_late(self) -> Fraction:
        if not self.due:
            return Fraction(0)
        return Fraction(sum(d[3] for d in self.due), len(self.due))

    @property
    def margin(self) -> Fraction:
        return Fraction(self.profit) / Fraction(self.sales) if self.sales else Fraction(0)

    @property
    def growth(self) -> Fraction:
        if not self.sales_prev:
            return Fraction(1)
        return (Fraction(self.sales) - Fraction(self.sales_prev)) / Fraction(self.sales_prev)

    @property
    def price_level(self) -> Fraction:
        if not self.list_value:
            return Fraction(0)
        return Fraction(self.sales) / Fraction(self.list_value, LIST_SCALE)


@dataclass
class Facts:
    as_of: date
    months: int
    start: date
    customers: dict[int, CustomerFacts]
    queries: int = 0

    @property
    def population(self) -> list[CustomerFacts]:
        return [c for c in self.customers.values() if c.has_lines_in_window]

    @property
    def prospects(self) -> list[CustomerFacts]:
        return [c for c in self.customers.values() if not c.has_lines_to_date]


def _from_cents(value) -> Decimal:
    """Integer cents (a SUM of a MoneyField column) as the field's Decimal: 1234 → 12.34."""
    return Decimal(int(value)).scaleb(-2)


def load_facts(as_of: date, months: int = 12) -> Facts:
    """Everything §5.1–§5.3 need, in a fixed number of queries (9), whatever the number of customers."""
    from kehu.customers.models import Customer
    from kehu.finance.models import Instalment, Payment, QualityLoss, WriteOff
    from kehu.sales.models import Contract, Opportunity, OrderLine

    start, end = window(as_of, months)
    prev_start, _ = previous_window(as_of, months)
    in_w = Q(order__order_date__gt=start, order__order_date__lte=end)
    in_prev = Q(order__order_date__gt=prev_start, order__order_date__lte=start)

    customers = {
        row["id"]: CustomerFacts(id=row["id"], code=row["code"], influence=row["influence"], reputation=row["reputation"])
        for row in Customer.objects.filter(is_deleted=False, merged_into__isnull=True).values("id", "code", "influence", "reputation")
    }  # 1

    list_product = ExpressionWrapper(F("quantity") * F("product__list_price"), output_field=BigIntegerField())
    cents = BigIntegerField()  # sums of money as the stored integer cents: no per-value converter
    lines = (
        OrderLine.objects.filter(order__order_date__lte=end, order__customer__is_deleted=False, order__customer__merged_into__isnull=True)
        .values("order__customer_id")
        .annotate(
            sales=Sum("revenue", filter=in_w, output_field=cents),
            cost=Sum("cost", filter=in_w, output_field=cents),
            sales_prev=Sum("revenue", filter=in_prev, output_field=cents),
            list_value=Sum(list_product, filter=in_w),
        )
        .order_by()
        .values_list("order__customer_id", "sales", "cost", "sales_prev", "list_value")
    )  # 2: one row per customer with any line up to D
    for customer_id, sales, cost, sales_prev, list_value in lines:
        c = customers[customer_id]
        c.has_lines_to_date = True
        if sales is not None:
            c.has_lines_in_window = True
            c.sales, c.cost = _from_cents(sales), _from_cents(cost)
            c.list_value = int(list_value or 0)
        c.sales_prev = _from_cents(sales_prev) if sales_prev is not None else ZERO

    def grouped(queryset, date_field, amount_field="amount"):
        return (
            queryset.filter(**{f"{date_field}__gt": start, f"{date_field}__lte": end})
            .values("customer_id")
            .annotate(total=Sum(amount_field))
            .order_by()
        )

    for row in grouped(WriteOff.objects.all(), "written_on"):  # 3
        if row["customer_id"] in customers:
            customers[row["customer_id"]].write_offs = row["total"]
    for row in grouped(Contract.objects.all(), "signed_on"):  # 4
        if row["customer_id"] in customers:
            customers[row["customer_id"]].contract_volume = row["total"]
    for row in grouped(QualityLoss.objects.all(), "occurred_on"):  # 5
        if row["customer_id"] in customers:
            customers[row["customer_id"]].quality_losses = row["total"]
    open_opps = Opportunity.objects.filter(stage__is_closed=False).values("customer_id").annotate(total=Sum("amount")).order_by()
    for row in open_opps:  # 6
        if row["customer_id"] in customers:
            customers[row["customer_id"]].open_pipeline = row["total"]

    # Collection: every instalment of the contracts with an instalment due in W, and their payments ≤ D.
    contracts_due = Instalment.objects.filter(due_on__gt=start, due_on__lte=end).values("contract_id")
    instalments = defaultdict(list)
    owner = {}
    for row in Instalment.objects.filter(contract_id__in=contracts_due).values(
        "id", "seq", "due_on", "amount", "contract_id", "contract__customer_id"
    ):  # 7
        instalments[row["contract_id"]].append(row)
        owner[row["contract_id"]] = row["contract__customer_id"]
    payments = defaultdict(list)
    for row in Payment.objects.not_reversed().filter(contract_id__in=contracts_due, paid_on__lte=end).values(
        "id", "seq", "paid_on", "amount", "code", "contract_id"
    ):  # 8
        payments[row["contract_id"]].append(row)
    for contract_id, rows in instalments.items():
        c = customers.get(owner[contract_id])
        if c is None:
            continue
        state, _, _ = apply_in_memory(rows, payments.get(contract_id, []))
        for i in rows:
            if not (start < i["due_on"] <= end):
                continue
            applied, full_on = state[i["id"]]
            collected = min(applied, i["amount"])
            on_time = full_on is not None and full_on <= i["due_on"]
            days = max(((full_on or end) - i["due_on"]).days, 0)
            c.due.append((i["amount"], collected, on_time, days))

    return Facts(as_of=as_of, months=months, start=start, customers=customers, queries=8)


# ---------------------------------------------------------------------------- fast exact arithmetic
#
# The models below rank 100,000 customers on up to eight indicators. Doing that with Fractions
# costs seconds, so they work on integers with the same exact results:
#
# - amounts are integer cents, ratios are pairs (numerator, denominator > 0) of integers;
# - a ratio's sort key is ⌊n·S/d⌋ with S = 2**k larger than the square of every denominator of
#   the indicator: two different ratios differ by at least 1/(d₁·d₂) > 1/S, so the keys are
#   ordered exactly as the ratios and equal exactly when the ratios are equal (ties stay ties);
# - the percentile score (§5.0) of the average rank r among N is 100·(r − 1)/(N − 1), so every
#   score of an indicator is an integer over the common denominator 2·(N − 1); the weighted
#   score is Σ wᵢ·scoreᵢ / Σ wᵢ with the weights scaled to integers, an integer T over one
#   common denominator for the whole run — ranking by T is ranking by the exact score;
# - rounding half-up for display is done on the integers (`_round_ratio`).
#
# `percentile_fractions` above stays the reference definition; tests compare the two.


def _cents(d: Decimal) -> int:
    """A money Decimal (2 places at most) as integer cents, exactly."""
    return int(d * 100)


def _round_ratio(n: int, d: int, places: int = 4) -> Decimal:
    """n/d (d > 0) rounded half-up (away from zero) to `places`, as `round_half_up` does."""
    scale = 10**places
    q = (2 * abs(n) * scale + d) // (2 * d)
    return Decimal(-q if n < 0 else q).scaleb(-places)


def _ratio_keys(ratios: dict) -> dict:
    """{k: (n, d)} → {k: int} ordered and equal exactly as the ratios n/d (see above)."""
    if not ratios:
        return {}
    bits = max(d for _, d in ratios.values()).bit_length()
    shift = 2 * bits + 1
    return {k: (n << shift) // d for k, (n, d) in ratios.items()}


def _percentile_numerators(keys: dict, lower_is_better: bool = False) -> tuple[dict, int]:
    """§5.0 percentile scores of integer keys as ({k: numerator}, common denominator)."""
    n = len(keys)
    if n == 0:
        return {}, 1
    if n == 1:
        return {k: 100 for k in keys}, 1
    den = 2 * (n - 1)
    ordered = sorted(keys.items(), key=lambda kv: kv[1])
    out = {}
    i = 0
    while i < n:
        v = ordered[i][1]
        j = i
        while j + 1 < n and ordered[j + 1][1] == v:
            j += 1
        num = 100 * (i + j)  # 100·(r − 1)/(N − 1) with r = (i + j + 2)/2
        if lower_is_better:
            num = 100 * den - num
        for t in range(i, j + 1):
            out[ordered[t][0]] = num
        i = j + 1
    return out, den


def _int_weights(weights: dict) -> dict:
    """Decimal weights scaled by a common power of ten to integers (same ratios, exact)."""
    places = max((max(-Decimal(w).as_tuple().exponent, 0) for w in weights.values()), default=0)
    return {name: int(Decimal(w).scaleb(places)) for name, w in weights.items()}


def _weighted_scores(keys: dict[str, dict], weights: dict, lower_is_better=()) -> tuple[dict, int]:
    """The weighted percentile score of every customer as ({id: T}, common denominator)."""
    w = _int_weights(weights)
    total_w = sum(w.values())
    score: dict = {}
    den = 1
    for name, values in keys.items():
        nums, den = _percentile_numerators(values, lower_is_better=name in lower_is_better)
        wn = w[name]
        if not score:
            score = dict.fromkeys(nums, 0)
        if wn:
            for k, v in nums.items():
                score[k] += wn * v
    return score, den * total_w


def _fraction_as_ratio(x) -> tuple[int, int]:
    f = Fraction(x)
    return f.numerator, f.denominator


_RATINGS: dict = {}


def _rating(x: int) -> Decimal:
    r = _RATINGS.get(x)
    if r is None:
        r = _RATINGS[x] = rating(x)
    return r


class _Row:
    """A ranked customer's numbers as integers (cents, ratio pairs), computed once."""

    __slots__ = (
        "c", "sales", "cost", "profit", "sales_prev", "collection", "on_time", "days_late", "margin", "growth",
        "price_level", "influence", "reputation",
    )

    def __init__(self, c: CustomerFacts):
        self.c = c
        self.sales = _cents(c.sales)
        self.cost = _cents(c.cost)
        self.profit = self.sales - self.cost - (_cents(c.write_offs) if c.write_offs is not None else 0)
        self.sales_prev = _cents(c.sales_prev)
        if c.due:
            total = collected = on_time = late = 0
            for amount, coll, ontime, days in c.due:
                total += _cents(amount)
                collected += _cents(coll)
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


def _money_cents(cents: int) -> str:
    """Integer cents as `money` writes a Decimal with two places ('-12.30', '0.00')."""
    sign = "-" if cents < 0 else ""
    q, r = divmod(abs(cents), 100)
    return f"{sign}{q}.{r:02d}"


# ---------------------------------------------------------------------------- models


def _weighted(scores: dict[str, dict], weights: dict[str, Decimal]) -> dict:
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    keys = next(iter(scores.values())).keys() if scores else []
    return {k: sum((Fraction(weights[name]) * scores[name][k] for name in weights), Fraction(0)) / total for k in keys}


def pyramid(facts: Facts, params: dict | None = None) -> list[dict]:
    """§5.1: rank by profit desc, revenue desc, code asc; tiers at ⌈q·N⌉."""
    p = {**PYRAMID_DEFAULTS, **(params or {})}
    rows = [_Row(c) for c in facts.population]
    rows.sort(key=lambda r: (-r.profit, -r.sales, r.c.code))
    n = len(rows)
    cuts = [("important", top(p["important"], n)), ("major", top(p["major"], n)), ("ordinary", top(p["ordinary"], n))]
    results = []
    for rank, row in enumerate(rows, start=1):
        tier = next((name for name, cut in cuts if rank <= cut), "small")
        results.append(
            {
                "customer": row.c.code, "rank": rank, "score": None, "class": tier,
                "indicators": {"profit": _money_cents(row.profit), "sales": _money_cents(row.sales)},
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


def _less(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] * b[1] < b[0] * a[1]


def value(facts: Facts, params: dict | None = None) -> list[dict]:
    """§5.2: weighted percentile score, classes problem/diamond/strategic/potential/general; prospects."""
    p = {**VALUE_DEFAULTS, **(params or {})}
    rows = {c.id: _Row(c) for c in facts.population}
    growth_keys = _ratio_keys({k: r.growth for k, r in rows.items()})
    keys = {
        "sales": {k: r.sales for k, r in rows.items()},
        "collection_rate": _ratio_keys({k: r.collection for k, r in rows.items()}),
        "on_time_share": _ratio_keys({k: r.on_time for k, r in rows.items()}),
        "margin": _ratio_keys({k: r.margin for k, r in rows.items()}),
        "influence": {k: r.influence for k, r in rows.items()},
        "growth": growth_keys,
    }
    score, den = _weighted_scores(keys, {name: p[f"w_{name}"] for name in keys})
    n = len(rows)
    by_score = sorted(rows.values(), key=lambda r: (-score[r.c.id], -r.sales, r.c.code))
    growth_rank = {r.c.id: i for i, r in enumerate(sorted(rows.values(), key=lambda r: (-growth_keys[r.c.id], r.c.code)), start=1)}
    diamond, strategic, potential = top(p["diamond_top"], n), top(p["strategic_top"], n), top(p["potential_growth_top"], n)
    problem_rate = _fraction_as_ratio(p["problem_collection_rate"])
    problem_late = _fraction_as_ratio(p["problem_mean_days_late"])
    results = []
    for sr, r in enumerate(by_score, start=1):
        c = r.c
        if _less(r.collection, problem_rate) or _less(problem_late, r.days_late):
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
                "score": _round_ratio(score[c.id], den),
                "class": klass,
                "indicators": {
                    "sales": _money_cents(r.sales),
                    "collection_rate": _round_ratio(*r.collection),
                    "on_time_share": _round_ratio(*r.on_time),
                    "margin": _round_ratio(*r.margin),
                    "influence": _rating(r.influence),
                    "growth": _round_ratio(*r.growth),
                    "mean_days_late": _round_ratio(*r.days_late),
                },
            }
        )
    for c in sorted(facts.prospects, key=lambda c: c.code):
        important = c.influence_value >= p["opportunity_influence"] or (c.open_pipeline or ZERO) >= p["opportunity_pipeline"]
        results.append(
            {
                "customer": c.code,
                "rank": None,
                "score": None,
                "class": "important_opportunity" if important else "general_opportunity",
                "indicators": {"influence": c.influence_value, "open_pipeline": money(c.open_pipeline)},
            }
        )
    return results


def key_account(facts: Facts, params: dict | None = None) -> list[dict]:
    """§5.3: weighted percentile score over eight criteria; key when score ≥ threshold."""
    p = {**KEY_ACCOUNT_DEFAULTS, **(params or {})}
    rows = {c.id: _Row(c) for c in facts.population}
    volume = {k: _cents(r.c.contract_volume) if r.c.contract_volume is not None else 0 for k, r in rows.items()}
    losses = {k: _cents(r.c.quality_losses) if r.c.quality_losses is not None else 0 for k, r in rows.items()}
    keys = {
        "contract_volume": volume,
        "price_level": _ratio_keys({k: r.price_level for k, r in rows.items()}),
        "sales": {k: r.sales for k, r in rows.items()},
        "collection_rate": _ratio_keys({k: r.collection for k, r in rows.items()}),
        "profit": {k: r.profit for k, r in rows.items()},
        "quality_losses": losses,
        "influence": {k: r.influence for k, r in rows.items()},
        "reputation": {k: r.reputation for k, r in rows.items()},
    }
    score, den = _weighted_scores(keys, {name: p[f"w_{name}"] for name in keys}, lower_is_better=("quality_losses",))
    ordered = sorted(rows.values(), key=lambda r: (-score[r.c.id], -r.sales, r.c.code))
    tn, td = _fraction_as_ratio(p["threshold"])  # score ≥ threshold ⇔ T·td ≥ tn·den
    return [
        {
            "customer": r.c.code,
            "rank": rank,
            "score": _round_ratio(score[r.c.id], den),
            "class": "key" if score[r.c.id] * td >= tn * den else "other",
            "indicators": {
                "contract_volume": money(r.c.contract_volume),
                "price_level": _round_ratio(*r.price_level),
                "sales": _money_cents(r.sales),
                "collection_rate": _round_ratio(*r.collection),
                "profit": _money_cents(r.profit),
                "quality_losses": money(r.c.quality_losses),
                "influence": _rating(r.influence),
                "reputation": _rating(r.reputation),
            },
        }
        for rank, r in enumerate(ordered, start=1)
    ]


MODELS = {"pyramid": pyramid, "value": value, "key_account": key_account}

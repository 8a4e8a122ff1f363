"""Exact arithmetic of the models.

The reference definitions (§5.0 percentile score with average ranks, half-up rounding) work on
Fractions; the models rank 100,000 customers on up to eight indicators, and doing that with
Fractions costs seconds, so they use integer versions with the same exact results:

- amounts are integer cents, ratios are pairs (numerator, denominator > 0) of integers;
- a ratio's sort key is ⌊n·S/d⌋ with S = 2**k larger than the square of every denominator of
  the indicator: two different ratios differ by at least 1/(d₁·d₂) > 1/S, so the keys are
  ordered exactly as the ratios and equal exactly when the ratios are equal (ties stay ties);
- the percentile score (§5.0) of the average rank r among N is 100·(r − 1)/(N − 1), so every
  score of an indicator is an integer over the common denominator 2·(N − 1); the weighted
  score is Σ wᵢ·scoreᵢ / Σ wᵢ with the weights scaled to integers, an integer T over one
  common denominator for the whole run — ranking by T is ranking by the exact score;
- rounding half-up for display is done on the integers (`round_ratio`).

`percentile_fractions` stays the reference definition; tests compare the two.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")


# ---------------------------------------------------------------------------- reference


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


def weighted_reference(scores: dict[str, dict], weights: dict[str, Decimal]) -> dict:
    """Σ wᵢ·scoreᵢ / Σ wᵢ over Fractions: the reference `weighted_scores` is tested against."""
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    keys = next(iter(scores.values())).keys() if scores else []
    return {k: sum((Fraction(weights[name]) * scores[name][k] for name in weights), Fraction(0)) / total for k in keys}


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
    (written as a JSON number by `exactjson.dumps`, never through a float)."""
    return round_half_up(x, places)


def rating(x) -> Decimal:
    """Influence or reputation (1–5) as the ranked results write it: 3 → 3.0."""
    return Decimal(int(x)).quantize(Decimal("0.1"))


def money(value: Decimal | None) -> str:
    """Money as the expected files write it: '0' when there is nothing, else to the cent."""
    if value is None:
        return "0"
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def top(q, n: int) -> int:
    """⌈q · N⌉ (exact)."""
    return math.ceil(Fraction(q) * n)


# ---------------------------------------------------------------------------- integers


def cents(d: Decimal) -> int:
    """A money Decimal (2 places at most) as integer cents, exactly."""
    return int(d * 100)


def money_cents(amount: int) -> str:
    """Integer cents as `money` writes a Decimal with two places ('-12.30', '0.00')."""
    sign = "-" if amount < 0 else ""
    q, r = divmod(abs(amount), 100)
    return f"{sign}{q}.{r:02d}"


def round_ratio(n: int, d: int, places: int = 4) -> Decimal:
    """n/d (d > 0) rounded half-up (away from zero) to `places`, as `round_half_up` does."""
    scale = 10**places
    q = (2 * abs(n) * scale + d) // (2 * d)
    return Decimal(-q if n < 0 else q).scaleb(-places)


def ratio_keys(ratios: dict) -> dict:
    """{k: (n, d)} → {k: int} ordered and equal exactly as the ratios n/d (see above)."""
    if not ratios:
        return {}
    bits = max(d for _, d in ratios.values()).bit_length()
    shift = 2 * bits + 1
    return {k: (n << shift) // d for k, (n, d) in ratios.items()}


def percentile_numerators(keys: dict, lower_is_better: bool = False) -> tuple[dict, int]:
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


def int_weights(weights: dict) -> dict:
    """Decimal weights scaled by a common power of ten to integers (same ratios, exact)."""
    places = max((max(-Decimal(w).as_tuple().exponent, 0) for w in weights.values()), default=0)
    return {name: int(Decimal(w).scaleb(places)) for name, w in weights.items()}


def weighted_scores(keys: dict[str, dict], weights: dict, lower_is_better=()) -> tuple[dict, int]:
    """The weighted percentile score of every customer as ({id: T}, common denominator)."""
    w = int_weights(weights)
    total_w = sum(w.values())
    score: dict = {}
    den = 1
    for name, values in keys.items():
        nums, den = percentile_numerators(values, lower_is_better=name in lower_is_better)
        wn = w[name]
        if not score:
            score = dict.fromkeys(nums, 0)
        if wn:
            for k, v in nums.items():
                score[k] += wn * v
    return score, den * total_w


def fraction_as_ratio(x) -> tuple[int, int]:
    f = Fraction(x)
    return f.numerator, f.denominator


def less(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """a < b for ratio pairs with positive denominators."""
    return a[0] * b[1] < b[0] * a[1]

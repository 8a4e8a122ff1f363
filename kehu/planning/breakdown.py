"""The breakdown of an annual target (DOMAIN.md §7), exactly. Pure: no database.

Month m gets A·wₘ ÷ Σw (even = all weights 1), rounded to cents by largest remainder so the
months sum to A (ties: earlier month first); halves and quarters are sums of their months.
Each month's exact (unrounded) share is spread evenly over its days; an ISO week gets the sum
of its days that fall in the year (a week that spans two months is split by days, a week that
spans two years keeps only this year's days); weeks are rounded to cents by largest
remainder so they sum to A (ties: earlier week first). Exact arithmetic in Fractions of cents.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from math import gcd

from kehu.core.money import from_minor, to_minor
from kehu.planning.periods import Period, half_period, month_period, quarter_period, week_period


@dataclass
class Breakdown:
    year: int
    amount: Decimal
    halves: list[tuple[Period, Decimal]] = field(default_factory=list)
    quarters: list[tuple[Period, Decimal]] = field(default_factory=list)
    months: list[tuple[Period, Decimal]] = field(default_factory=list)
    weeks: list[tuple[Period, Decimal]] = field(default_factory=list)

    def as_json(self) -> dict:
        """The `kehu targets --json` document of DATASET.md."""
        return {
            "year": self.year,
            "amount": str(self.amount),
            "halves": [{"half": p.label, "amount": str(a)} for p, a in self.halves],
            "quarters": [{"quarter": p.label, "amount": str(a)} for p, a in self.quarters],
            "months": [{"month": p.label, "amount": str(a)} for p, a in self.months],
            "weeks": [{"week": p.label, "amount": str(a)} for p, a in self.weeks],
        }

    def amount_for(self, period: Period) -> Decimal:
        """The target of any period inside the year: a listed half, quarter, month or week as
        listed; any other span (a custom range) as the exact daily shares of its days, rounded
        half-up to the cent once."""
        for rows in (self.halves, self.quarters, self.months, self.weeks):
            for p, amount in rows:
                if p == period:
                    return amount
        if period.kind == "year" and period.start.year == self.year:
            return self.amount
        raise KeyError(period.label)


def normalise_weights(weights) -> list[Fraction]:
    """Twelve monthly weights: all empty (None / "") = even (all 1); otherwise an empty weight
    is 0 (DATASET.md). Weights are non-negative numbers and not all zero (checked by callers:
    `weights_problem`)."""
    values = list(weights or [])[:12] + [None] * (12 - len(list(weights or [])[:12]))
    if all(v in (None, "") for v in values):
        return [Fraction(1)] * 12
    return [Fraction(str(v)) if v not in (None, "") else Fraction(0) for v in values]


def weights_problem(weights) -> str | None:
    """Why these weights cannot break a target down (a code: "negative", "zero"), or None."""
    values = normalise_weights(weights)
    if any(v < 0 for v in values):
        return "negative"
    if sum(values) == 0:
        return "zero"
    return None


def largest_remainder(total_cents: int, shares: list[Fraction]) -> list[int]:
    """Integer cents for exact `shares` that sum to `total_cents`: each share's floor, plus one
    cent to the shares with the largest remainders (ties: the earlier first)."""
    floors = [s.numerator // s.denominator for s in shares]
    left = total_cents - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def month_shares(amount: Decimal, weights=None) -> list[Fraction]:
    """The exact (unrounded) share of each month, in cents."""
    values = normalise_weights(weights)
    total = sum(values)
    cents = to_minor(amount)
    return [Fraction(cents) * w / total for w in values]


def month_cents(amount: Decimal, weights=None) -> list[int]:
    """The twelve months' cents of §7 (largest remainder, ties to the earlier month) in integer
    arithmetic: each exact share is cents·Wₘ ÷ ΣW with the weights scaled to integers, so the
    floors and remainders are exact without Fractions (a roll-up breaks down hundreds of
    targets per request). Equal to `largest_remainder(cents, month_shares(...))`."""
    return list(_month_cents(to_minor(amount), tuple(normalise_weights(weights))))


@lru_cache(maxsize=4096)
def _month_cents(cents: int, weights: tuple[Fraction, ...]) -> tuple[int, ...]:
    scale = 1
    for w in weights:
        scale = scale * w.denominator // gcd(scale, w.denominator)
    scaled = [int(w * scale) for w in weights]
    total = sum(scaled)
    floors, remainders = [], []
    for w in scaled:
        q, r = divmod(cents * w, total)
        floors.append(q)
        remainders.append(r)
    left = cents - sum(floors)
    for i in sorted(range(12), key=lambda i: (-remainders[i], i))[:left]:
        floors[i] += 1
    return tuple(floors)


def breakdown(year: int, amount: Decimal, weights=None, *, weeks: bool = True) -> Breakdown:
    """§7's breakdown of the annual target `amount` of `year` with monthly `weights`
    (`weeks=False`: halves, quarters and months only — the weeks walk every day of the year)."""
    cents = to_minor(amount)
    month_cents_ = month_cents(amount, weights)
    result = Breakdown(year=year, amount=from_minor(cents))
    result.months = [(month_period(year, m + 1), from_minor(c)) for m, c in enumerate(month_cents_)]
    result.quarters = [(quarter_period(year, q + 1), from_minor(sum(month_cents_[3 * q:3 * q + 3]))) for q in range(4)]
    result.halves = [(half_period(year, h + 1), from_minor(sum(month_cents_[6 * h:6 * h + 6]))) for h in range(2)]
    if not weeks:
        return result
    shares = month_shares(amount, weights)
    # Each day gets its month's exact share ÷ the month's days; a week sums its days of the year.
    week_shares: dict[tuple[int, int], Fraction] = {}
    day = date(year, 1, 1)
    while day.year == year:
        month = month_period(year, day.month)
        iso_year, week, _weekday = day.isocalendar()
        week_shares[(iso_year, week)] = week_shares.get((iso_year, week), Fraction(0)) + shares[day.month - 1] / month.days
        day += timedelta(days=1)
    keys = list(week_shares)  # calendar order: days were walked in order
    week_cents = largest_remainder(cents, [week_shares[k] for k in keys])
    result.weeks = [(week_period(*k), from_minor(c)) for k, c in zip(keys, week_cents)]
    return result


def period_share(year: int, amount: Decimal, weights, period: Period) -> Decimal:
    """The target of an arbitrary span of days inside `year` (the exact daily shares of its
    days, rounded half-up to the cent once): what a custom date range is measured against.
    For a listed half, quarter, month or week use `Breakdown.amount_for`, which keeps the
    rounded amounts that sum to the year."""
    from kehu.core.money import quantize_cents

    shares = month_shares(amount, weights)
    start = max(period.start, date(year, 1, 1))
    end = min(period.end, date(year, 12, 31))
    total = Fraction(0)
    day = start
    while day <= end:
        total += shares[day.month - 1] / month_period(year, day.month).days
        day += timedelta(days=1)
    return quantize_cents(Decimal(total.numerator) / Decimal(total.denominator) / 100)

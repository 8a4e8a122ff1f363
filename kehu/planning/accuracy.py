"""Forecast accuracy, the arithmetic of DOMAIN.md §7 (pure: no database).

For a forecast F (the commit of the rep's latest submission on or before the cut-off) and the
actual A (the won amount of the period):

- accuracy = max(0, 1 − |F − A| ÷ A)
- bias = (F − A) ÷ A

each computed exactly (as fractions of the two cent amounts) and rounded half-up — a tie goes
away from zero — to 4 decimals, once. Both are None when there is no forecast or A = 0.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

PLACES = 4
SCALE = 10**PLACES


def round_half_up(value: Fraction, places: int = PLACES) -> Decimal:
    """`value` rounded half-up (ties away from zero) to `places` decimals, exactly."""
    scale = 10**places
    magnitude = abs(value) * scale
    whole = int(magnitude + Fraction(1, 2))  # floor(x + ½) for x ≥ 0
    sign = -1 if value < 0 else 1
    return (Decimal(sign * whole) / Decimal(scale)).quantize(Decimal(1).scaleb(-places))


def accuracy_of(forecast: Decimal | None, actual: Decimal | None) -> Decimal | None:
    """max(0, 1 − |F − A| ÷ A) to 4 decimals; None without a forecast or when A = 0."""
    if forecast is None or actual is None or actual == 0:
        return None
    f, a = Fraction(forecast), Fraction(actual)
    return round_half_up(max(Fraction(0), 1 - abs(f - a) / a))


def bias_of(forecast: Decimal | None, actual: Decimal | None) -> Decimal | None:
    """(F − A) ÷ A to 4 decimals; None without a forecast or when A = 0."""
    if forecast is None or actual is None or actual == 0:
        return None
    f, a = Fraction(forecast), Fraction(actual)
    return round_half_up((f - a) / a)


def cutoff_of(period_end: date, lead_days: int) -> date:
    """The last submission date that counts: the period's last day − L days."""
    return period_end - timedelta(days=lead_days)


@dataclass(frozen=True)
class Submitted:
    """What accuracy needs of one submission."""

    submitted_on: date
    recorded_at: object  # a datetime; only compared
    id: int
    commit: Decimal


def forecast_at(submissions, cutoff: date) -> Decimal | None:
    """The commit of the latest submission with submitted_on ≤ cutoff (equal dates: the one
    recorded last — recorded_at, then id); None when there is none."""
    best = None
    for s in submissions:
        if s.submitted_on > cutoff:
            continue
        if best is None or (s.submitted_on, s.recorded_at, s.id) > (best.submitted_on, best.recorded_at, best.id):
            best = s
    return None if best is None else best.commit


def mean(values) -> Decimal | None:
    """The mean of the values that are not None, exactly, rounded half-up to 4 decimals."""
    present = [Fraction(v) for v in values if v is not None]
    if not present:
        return None
    return round_half_up(sum(present, Fraction(0)) / len(present))

"""Revenue anomalies (DOMAIN.md §7, article 003), exactly. Pure: no database.

A rep's month revenue is Σ line revenue of the orders they own dated in that month. For month M,
take the rep's revenue in each of the 6 months before M (a month without orders counts as 0),
sorted; the median is the mean of the 3rd and 4th. An alert is raised when median > 0 and
revenue(M) < share × median, compared exactly; it shows the revenue, the median rounded half-up
to the cent and revenue ÷ the unrounded median rounded half-up to 4 decimals.

The follow-up drop of one kind is the same rule over counts: a rep's count of logged follow-ups
of one kind in month M against the median of the 6 months before (`followup_drop`).
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

HISTORY_MONTHS = 6
DEFAULT_SHARE = Decimal(20)  # percent


@dataclass(frozen=True)
class Anomaly:
    revenue: Decimal  # this month, exact cents
    median: Decimal  # of the 6 months before, half-up to the cent
    ratio: Decimal  # revenue ÷ the unrounded median, half-up to 4 decimals


def median_of_six(values) -> Fraction:
    """The mean of the 3rd and 4th of six values sorted (exact)."""
    ordered = sorted(Fraction(v) for v in values)
    if len(ordered) != HISTORY_MONTHS:
        raise ValueError("six months of history")
    return (ordered[2] + ordered[3]) / 2


def anomaly(revenue: Decimal, history, share: Decimal = DEFAULT_SHARE) -> Anomaly | None:
    """The alert for a month's `revenue` against the six months before (`history`, amounts in
    any order), or None. `share` is a percentage (20 = 20 %)."""
    median = median_of_six(history)
    if median <= 0 or not Fraction(revenue) < Fraction(share) / 100 * median:
        return None
    ratio = Fraction(revenue) / median
    return Anomaly(revenue=Decimal(revenue).quantize(Decimal("0.01")), median=_exact_round(median, 2), ratio=_exact_round(ratio, 4))


@dataclass(frozen=True)
class FollowupDrop:
    count: int  # logged follow-ups of the kind this month
    median: Decimal  # of the 6 months before: a whole or half count, exact (one decimal)
    ratio: Decimal  # count ÷ median, half-up to 4 decimals


def followup_drop(count: int, history, share: Decimal = DEFAULT_SHARE) -> FollowupDrop | None:
    """The follow-up drop of one kind (DOMAIN.md §7, "same rule"): `anomaly` over counts. The
    median of six whole counts is a whole or half number, shown exactly."""
    ordered = sorted(int(h) for h in history)
    if len(ordered) != HISTORY_MONTHS:
        raise ValueError("six months of history")
    twice_median = ordered[2] + ordered[3]  # whole numbers: decide without fractions (the common "no alert")
    if twice_median <= 0 or not Decimal(int(count) * 200) < Decimal(share) * twice_median:
        return None
    found = anomaly(Decimal(int(count)), [Decimal(int(h)) for h in history], share)
    if found is None:
        return None
    return FollowupDrop(count=int(count), median=found.median.quantize(Decimal("0.1")), ratio=found.ratio)


def _exact_round(value: Fraction, places: int) -> Decimal:
    """`value` rounded half-up to `places` decimals, decided on the exact fraction."""
    sign = -1 if value < 0 else 1
    scaled = abs(value) * 10**places
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if Fraction(rest, scaled.denominator) >= Fraction(1, 2):  # half away from zero, as Decimal's ROUND_HALF_UP
        whole += 1
    return (Decimal(sign * whole) / Decimal(10**places)).quantize(Decimal(1).scaleb(-places))

"""The windows of DOMAIN.md §5.0: W = (as_of − months, as_of] and the previous window W′ of the
same length ending where W starts. Calendar months, the day clamped to the month's end."""

from datetime import date

from kehu.core.dates import add_months


def window(as_of: date, months: int = 12) -> tuple[date, date]:
    """W = (start_exclusive, end_inclusive]: the dates d with as_of − months < d ≤ as_of
    (2024-02-29 − 12 months = 2023-02-28)."""
    return add_months(as_of, -months), as_of


def previous_window(as_of: date, months: int = 12) -> tuple[date, date]:
    """W′: same length, ending where W starts (exclusive start of W = inclusive end of W′)."""
    start, _ = window(as_of, months)
    return window(start, months)

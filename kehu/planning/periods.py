"""Periods of planning (DOMAIN.md §7): a year `2026`, a half `2026-H1`, a quarter `2026-Q2`, a
month `2026-06` or an ISO week `2026-W05`, each with its first and last day (both inclusive).

Pure functions: no database. `parse_period` refuses anything else with a translated message.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from kehu.core.dates import DATE_MAX, DATE_MIN
from kehu.planning.errors import PlanningError


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: str  # year | half | quarter | month | week
    label: str

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def days_gone(self, today: date) -> int:
        """Days of the period up to and including `today` (0 before it, all after it)."""
        if today < self.start:
            return 0
        return min(self.days, (today - self.start).days + 1)

    def next(self) -> "Period":
        return period_of(self.kind, self.end + timedelta(days=1))

    def previous(self) -> "Period":
        return period_of(self.kind, self.start - timedelta(days=1))


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), "year", f"{year}")


def half_period(year: int, half: int) -> Period:
    start = date(year, 1 if half == 1 else 7, 1)
    end = date(year, 6, 30) if half == 1 else date(year, 12, 31)
    return Period(start, end, "half", f"{year}-H{half}")


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    return Period(start, _month_end(year, 3 * quarter), "quarter", f"{year}-Q{quarter}")


def month_period(year: int, month: int) -> Period:
    return Period(date(year, month, 1), _month_end(year, month), "month", f"{year}-{month:02d}")


def week_period(iso_year: int, week: int) -> Period:
    start = date.fromisocalendar(iso_year, week, 1)
    return Period(start, start + timedelta(days=6), "week", f"{iso_year}-W{week:02d}")


def _month_end(year: int, month: int) -> date:
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_next - timedelta(days=1)


def period_of(kind: str, day: date) -> Period:
    """The period of `kind` that contains `day`."""
    if kind == "year":
        return year_period(day.year)
    if kind == "half":
        return half_period(day.year, 1 if day.month <= 6 else 2)
    if kind == "quarter":
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    if kind == "month":
        return month_period(day.year, day.month)
    if kind == "week":
        iso_year, week, _weekday = day.isocalendar()
        return week_period(iso_year, week)
    raise ValueError(kind)


_PATTERNS = [
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-H([12])$"), "half"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-W(\d{2})$"), "week"),
]


def parse_period(text: str, *, kinds: tuple[str, ...] = ("year", "half", "quarter", "month", "week")) -> Period:
    """The period written as `text` (`2026`, `2026-H1`, `2026-Q2`, `2026-06`, `2026-W05`), of one
    of `kinds`, within the years Kehu keeps (DATE_MIN..DATE_MAX); else PlanningError."""
    value = (text or "").strip().upper()
    for pattern, kind in _PATTERNS:
        match = pattern.match(value)
        if not match or kind not in kinds:
            continue
        year = int(match.group(1))
        if not DATE_MIN.year <= year <= DATE_MAX.year:
            break
        try:
            if kind == "year":
                return year_period(year)
            number = int(match.group(2))
            if kind == "half":
                return half_period(year, number)
            if kind == "quarter":
                return quarter_period(year, number)
            if kind == "month":
                return month_period(year, number)
            return week_period(year, number)
        except ValueError:
            break
    if set(kinds) <= {"month", "quarter"}:
        message = _("“%(value)s” is not a period. Write a month as 2026-06, a quarter as 2026-Q2.")
    else:
        message = _("“%(value)s” is not a period. Write a year as 2026, a half as 2026-H1, a quarter as 2026-Q2, a month as "
                    "2026-06, an ISO week as 2026-W05.")
    raise PlanningError(message % {"value": (text or "")[:40]},
                        code="period")


def forecast_periods(today: date) -> list[Period]:
    """The periods a rep forecasts on `today` (issue 11): this and next month, this and next quarter."""
    month = period_of("month", today)
    quarter = period_of("quarter", today)
    return [month, month.next(), quarter, quarter.next()]


def months_of(period: Period) -> list[Period]:
    """The months that overlap `period` (a week may touch two)."""
    months = []
    month = period_of("month", period.start)
    while month.start <= period.end:
        months.append(month)
        month = month.next()
    return months

"""Dates a user types or a URL carries: one sane range, month arithmetic, safe parsing.

Every date field of a form and every `?date=` / `?from=` / `?to=` parameter is checked
against DATE_MIN..DATE_MAX, so that nothing Kehu computes from a stored date (a week, a
month, a calendar grid, "in 30 days") can step outside what `datetime.date` holds.
"""

import calendar
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2099, 12, 31)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when that month is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_between(start: date, end: date) -> int:
    """Whole calendar months from start's month to end's month (2026-01-31 → 2026-02-01 is 1)."""
    return (end.year - start.year) * 12 + end.month - start.month


def in_range(day: date) -> bool:
    return DATE_MIN <= day <= DATE_MAX


def clamp(day: date) -> date:
    return min(max(day, DATE_MIN), DATE_MAX)


def validate_date_in_range(value) -> None:
    """Form/model validator: refuse dates outside DATE_MIN..DATE_MAX with a clear message."""
    if value is None:
        return
    day = value.date() if hasattr(value, "date") and callable(value.date) else value
    if not in_range(day):
        raise ValidationError(
            _("Enter a date between %(min)s and %(max)s."),
            code="date_range",
            params={"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()},
        )


def parse_date_param(value, default: date | None = None) -> date | None:
    """A date from a query parameter (ISO), or `default` when it is missing, malformed or out
    of range: a URL never makes a page fail."""
    if not value:
        return default
    try:
        day = date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return default
    return day if in_range(day) else default

"""Reading and writing the cells of a Kehu dataset (DATASET.md).

Every parser takes the cell text and returns the Python value, or raises `CellError`
with a translated reason. Money is parsed from its decimal text, never through a float.
"""

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.money import MoneyError, to_decimal, within_money_bound

# A cell whose text starts with one of these is a formula to a spreadsheet: exports put an
# apostrophe in front (OWASP "CSV injection"), and the importer takes it off again.
from kehu.core.cells import FORMULA_STARTS, escape_cell  # noqa: F401  (re-exported)


class CellError(ValueError):
    """A cell that cannot be read; `reason` is translated and shown to the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def clean_text(value: str) -> str:
    """The text of a cell as the importer sees it: trimmed, without an export's formula escape."""
    value = (value or "").strip()
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        value = value[1:]
    return value


def parse_text(value: str, *, max_length: int) -> str:
    if len(value) > max_length:
        raise CellError(_("Too long: at most %(max)d characters.") % {"max": max_length})
    return value


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "_").replace("-", "_")


class Choices:
    """An enum column: the English codes, their labels (in English and in each interface
    language) and the usual Chinese names all work."""

    def __init__(self, codes, *, aliases: dict[str, str] | None = None, labels=None):
        self.codes = list(codes)
        self._labels = list(labels or [])
        self._aliases = dict(aliases or {})
        for code in self._aliases.values():
            assert code in self.codes, code
        self._map: dict[str, str] | None = None

    def _build(self) -> dict[str, str]:
        from django.conf import settings
        from django.utils import translation

        mapping = {_key(code): code for code in self.codes}
        for alias, code in self._aliases.items():
            mapping.setdefault(_key(alias), code)
        for language in ["en"] + [code for code, _name in settings.LANGUAGES]:
            with translation.override(language):
                for code, label in self._labels:
                    mapping.setdefault(_key(str(label)), code)
        return mapping

    def parse(self, value: str) -> str:
        if self._map is None:
            self._map = self._build()
        code = self._map.get(_key(value))
        if code is None:
            raise CellError(
                _("Unknown value “%(value)s”; use one of: %(choices)s.") % {"value": value, "choices": ", ".join(self.codes)}
            )
        return code


def parse_int(value: str, *, low: int, high: int) -> int:
    text = value.strip()
    try:
        number = to_decimal(text)
    except MoneyError:
        number = None
    if number is None or number != number.to_integral_value() or not low <= number <= high:
        raise CellError(_("“%(value)s” is not a whole number from %(low)d to %(high)d.") % {"value": value, "low": low, "high": high})
    return int(number)


def parse_money(value: str, *, places: int = 2, allow_negative: bool = False) -> Decimal:
    """An exact amount from its decimal text (12345.60); at most `places` decimals."""
    try:
        amount = to_decimal(value)
    except MoneyError:
        raise CellError(_("“%(value)s” is not an amount such as 12345.60.") % {"value": value}) from None
    if not within_money_bound(amount):  # the bound of every money input (kehu.core.money.MONEY_MAX)
        raise CellError(_("“%(value)s” is too large.") % {"value": value})
    if amount.as_tuple().exponent < -places and amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise CellError(_("“%(value)s” has more than %(places)d decimals.") % {"value": value, "places": places})
    if amount < 0 and not allow_negative:
        raise CellError(_("“%(value)s” is negative.") % {"value": value})
    return amount.quantize(Decimal(1).scaleb(-places))


def parse_date(value: str) -> date:
    text = value.strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise CellError(_("“%(value)s” is not a date in the form YYYY-MM-DD.") % {"value": value})


def parse_datetime(value: str) -> datetime:
    """An ISO 8601 time or a date (midnight, local time); naive times are local."""
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), time())
        else:
            parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise CellError(_("“%(value)s” is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SS).") % {"value": value}) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def format_datetime(value: datetime | None) -> str:
    """A time as export text: the local date alone at midnight, else ISO 8601 with the offset."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    if local.time() == time():
        return local.date().isoformat()
    return local.isoformat()


def format_amount(value: Decimal | None) -> str:
    """An amount as export text: at least 2 decimals, more only when they are not zero."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0")
    whole, _dot, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def cell_text(value) -> str:
    """A cell read from a workbook as text. Numbers come back as the text the sheet shows
    (the shortest decimal that round-trips), so 3595.36 stays 3595.36 — no float arithmetic."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() and value.tzinfo is None else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, str):
        return _unescape_ooxml(value) if "_x" in value else value
    return str(value)


# Excel writes a control character, which XML cannot hold, as `_x0000_` … `_x001F_`.
_OOXML_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f])_")


def _unescape_ooxml(text: str) -> str:
    """A workbook's text with its escaped control characters decoded, so that the importer's
    text rule sees (and refuses) a NUL in an .xlsx as it does in a CSV file. Only controls are
    decoded: exports write text as it is, and `_x0041_` typed in a name stays as typed."""
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)

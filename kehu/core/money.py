"""Money helpers: Decimal only, half-up to the cent, integer minor units in storage."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from kehu.core.text import TextError, ascii_number

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "CNY"
CURRENCIES = ["CNY", "USD", "EUR", "HKD", "JPY"]


class MoneyError(ValueError):
    """A value that is not an exact decimal amount."""


def to_decimal(value: object) -> Decimal:
    """Parse an amount given as Decimal, int or string. Floats are refused; in a string, full-width
    digits are read as ASCII ones and any other non-ASCII character is refused (kehu.core.text)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError("floats are not money")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("¥", "").replace("￥", "")
        try:
            result = Decimal(ascii_number(text).replace(",", "").strip())
        except (InvalidOperation, TextError) as exc:
            raise MoneyError(value) from exc
    else:
        raise MoneyError(repr(value))
    if not result.is_finite():
        raise MoneyError(value)
    return result


def quantize_cents(value: object) -> Decimal:
    """Round an amount half-up to the cent."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_minor(value: object) -> int:
    """An amount as integer cents (half-up)."""
    return int(quantize_cents(value) * 100)


def from_minor(value: int) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(CENT)


def format_money(value: Decimal | None, currency: str = DEFAULT_CURRENCY) -> str:
    if value is None:
        return ""
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥"}.get(currency, currency + " ")
    return f"{symbol}{quantize_cents(value):,}"

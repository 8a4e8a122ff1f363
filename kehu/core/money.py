"""Money helpers: Decimal only, half-up to the cent, integer minor units in storage."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "CNY"
CURRENCIES = ["CNY", "USD", "EUR", "HKD", "JPY"]

# The largest amount one money field holds, in any currency (docs/rules.md, "Largest amount").
# Kehu adds amounts up in SQL as 64-bit integers of cents (at most 9,223,372,036,854,775,807):
# with each amount below 10**10 (10**12 cents), more than 9.2 million amounts at the very
# maximum still add up without overflow, so no list, report or export sum can overflow.
# Every money input (forms through `kehu.core.fields.MoneyFormField`, the API's `money_field`,
# the importer's `parse_money`, the finance services) refuses a larger one.
MONEY_MAX = Decimal("9999999999.99")


class MoneyError(ValueError):
    """A value that is not an exact decimal amount."""


def to_decimal(value: object) -> Decimal:
    """Parse an amount given as Decimal, int or string. Floats are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError("floats are not money")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("¥", "").replace("￥", "")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(value) from exc
    else:
        raise MoneyError(repr(value))
    if not result.is_finite():
        raise MoneyError(value)
    return result


def within_money_bound(value: Decimal) -> bool:
    """|value| ≤ MONEY_MAX: an amount every sum Kehu computes can hold."""
    return -MONEY_MAX <= value <= MONEY_MAX


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

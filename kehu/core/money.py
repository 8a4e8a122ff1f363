"""Money helpers: Decimal only, half-up to the cent, integer minor units in storage."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from kehu.core.text import TextError, ascii_number

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


# The one display format of an amount (docs/rules.md, "Money on screen"): the currency's own
# symbol, the sign before it, thousands separated by commas, two decimals, in Chinese and English
# alike (Django's zh-hans format has no thousands separator; Chinese finance writes ¥1,234,567.89).
# JPY is JP¥: on a Chinese page a bare ¥ is the yuan.
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}
PERCENT_PLACES = 2
SCORE_PLACES = 1


def format_money(value: object, currency: str = DEFAULT_CURRENCY) -> str:
    """¥113,000.00, -¥1,234.50, $5.00, GBP 5.00 (a currency without a symbol: its code); "" for
    None. Raises MoneyError for what is not an amount (a float included)."""
    if value is None or value == "":
        return ""
    amount = quantize_cents(value)
    currency = currency or DEFAULT_CURRENCY
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,}"


def money_text(value: object, currency: str = DEFAULT_CURRENCY) -> str:
    """format_money for an amount kept as text (a notification's parameters, an audit value):
    never raises — what is not an amount is shown as it was written."""
    try:
        return format_money(value, currency)
    except MoneyError:
        return f"{value} {currency or ''}".strip()


def percent_text(value: object) -> str:
    """format_percent for a percentage kept as text; never raises."""
    try:
        return format_percent(value)
    except MoneyError:
        return f"{value} %"


def format_unit_price(value: object, currency: str = DEFAULT_CURRENCY) -> str:
    """A unit price (kept to 4 decimals) as an amount that keeps its own decimals: ¥12.50,
    ¥0.1234, ¥1,200.00. "" for None."""
    if value is None or value == "":
        return ""
    price = to_decimal(value).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if price == price.quantize(CENT):
        price = price.quantize(CENT)
    else:
        price = price.normalize()
    currency = currency or DEFAULT_CURRENCY
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if price < 0 else ""
    return f"{sign}{symbol}{abs(price):,}"


def _rounded(value: object, places: int) -> Decimal:
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_percent(value: object, *, ratio: bool = False, places: int = PERCENT_PLACES) -> str:
    """A percentage for reading. A fraction (ratio=True) with two decimals: 0.3145 → "31.45%".
    A percentage keeps its own decimals up to two: 31.45 → "31.45%", a discount field's 10.00 →
    "10.00%", a market share of 12.5 → "12.5%", a probability of 40 → "40%". "" for None."""
    if value is None or value == "":
        return ""
    number = to_decimal(value)
    if ratio:
        return f"{_rounded(number * 100, places):,}%"
    exponent = number.as_tuple().exponent
    if exponent > 0 or exponent < -places:
        number = _rounded(number, min(places, max(0, -exponent)))
    return f"{number:,}%"


def format_score(value: object, places: int = SCORE_PLACES) -> str:
    """A score or rating with one decimal, half-up: 73.4512 → "73.5", 3 → "3.0". "" for None."""
    if value is None or value == "":
        return ""
    return f"{_rounded(value, places):,}"

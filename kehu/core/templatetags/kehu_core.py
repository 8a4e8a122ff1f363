from decimal import Decimal

from django import template

from kehu.core.money import DEFAULT_CURRENCY, MoneyError, format_money, format_percent, format_score, format_unit_price

register = template.Library()


@register.filter
def money(value, currency=DEFAULT_CURRENCY):
    """{{ contract.amount|money:contract.currency }} → ¥1,234.50 (the one display format of an
    amount, kehu.core.money.format_money); empty for None; anything else shown as it is."""
    if value in (None, ""):
        return ""
    try:
        return format_money(value if isinstance(value, (Decimal, int)) else Decimal(str(value)), currency or DEFAULT_CURRENCY)
    except (MoneyError, ArithmeticError, ValueError):
        return str(value)


@register.filter
def price(value, currency=DEFAULT_CURRENCY):
    """{{ line.unit_price|price:quote.currency }} → ¥12.50 or ¥0.1234: a unit price, which keeps
    up to 4 decimals (money rounds to the cent)."""
    if value in (None, ""):
        return ""
    try:
        return format_unit_price(value if isinstance(value, (Decimal, int)) else Decimal(str(value)), currency or DEFAULT_CURRENCY)
    except (MoneyError, ArithmeticError, ValueError):
        return str(value)


@register.filter
def percent(value, kind=""):
    """{{ quote.max_discount_pct|percent }} → 12.50% (a percentage); {{ share|percent:"ratio" }} →
    31.45% (a fraction). Two decimals, half-up; a whole number stays whole (40%)."""
    if value in (None, ""):
        return ""
    try:
        return format_percent(value if isinstance(value, (Decimal, int)) else Decimal(str(value)), ratio=kind == "ratio")
    except (MoneyError, ArithmeticError, ValueError):
        return str(value)


@register.filter
def score(value):
    """{{ result.score|score }} → 73.5: a score or a rating with one decimal."""
    if value in (None, ""):
        return ""
    try:
        return format_score(value if isinstance(value, (Decimal, int)) else Decimal(str(value)))
    except (MoneyError, ArithmeticError, ValueError):
        return str(value)


@register.filter
def total_minutes(value) -> int:
    """A timedelta as whole minutes (for messages such as the login lock-out)."""
    try:
        return int(value.total_seconds() // 60)
    except AttributeError:
        return 0


@register.filter
def plain_number(value) -> str:
    """An exact Decimal (quantity, unit price, percentage) without trailing zeros and never in
    exponent form: 100.0000 → "100", 2.5000 → "2.5". Anything else is shown as it is."""
    from decimal import Decimal

    if not isinstance(value, Decimal):
        return "" if value is None else str(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def audit_note(value) -> str:
    """A stored note (an audit event's, a pool event's reason) as the reader reads it: a system
    note (kehu.core.audit.audit_note) in the active language, typed text as it was written."""
    from kehu.core.audit import audit_note_text

    return audit_note_text(value)

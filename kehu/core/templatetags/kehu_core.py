from django import template

register = template.Library()


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

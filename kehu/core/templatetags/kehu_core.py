from django import template

register = template.Library()


@register.filter
def total_minutes(value) -> int:
    """A timedelta as whole minutes (for messages such as the login lock-out)."""
    try:
        return int(value.total_seconds() // 60)
    except AttributeError:
        return 0

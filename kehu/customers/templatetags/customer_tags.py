"""Template helpers of the customer pages: money, masking, sort links, field rows."""

from datetime import date, datetime

from django import template
from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _

from kehu.core.fields import MoneyField
from kehu.core.templatetags.kehu_core import money
from kehu.customers.selectors import mask

register = template.Library()

SENSITIVE = {"id_number", "bank_account"}


# The money filter lives in kehu.core (kehu_core); it stays registered here for the templates that
# load customer_tags.
register.filter("money", money)


@register.filter
def masked(value, user):
    """{{ contact.id_number|masked:request.user }}: the value as this user may see it."""
    return mask(value or "", user=user)


@register.inclusion_tag("customers/partials/sort_header.html", takes_context=True)
def sort_header(context, key, label):
    """A column header that sorts by `key`, and reverses on a second click."""
    request = context["request"]
    current = request.GET.get("sort", "")
    if current == key:
        target, direction = "-" + key, "asc"
    elif current == "-" + key:
        target, direction = key, "desc"
    else:
        target, direction = key, ""
    params = request.GET.copy()
    params.pop("page", None)
    params["sort"] = target
    return {"url": "?" + params.urlencode(), "label": label, "direction": direction}


def display_value(obj, name, *, user, currency="CNY") -> str:
    """One field of a model instance as a reader sees it."""
    field = obj._meta.get_field(name)
    value = getattr(obj, name)
    if value in (None, ""):
        return ""
    if name in SENSITIVE:
        return mask(str(value), user=user)
    if field.choices:
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(field, MoneyField):
        return money(value, currency)
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(value, (date, datetime)):
        return formats.date_format(value, "Y-m-d")
    return str(value)


@register.simple_tag
def field_rows(obj, names, user, currency="CNY"):
    """[(label, display value)] of `names` on `obj`, for <dl> sections."""
    return [(obj._meta.get_field(n).verbose_name, display_value(obj, n, user=user, currency=currency)) for n in names]


@register.filter
def any_value(rows) -> bool:
    """True when at least one (label, value) row has a value."""
    return any(value not in (None, "") for _label, value in rows)

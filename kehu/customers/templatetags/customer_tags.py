"""Template helpers of the customer pages: money, masking, phone links, sort links, field rows,
and the customer page's registered panels."""

import re
import unicodedata
from datetime import date, datetime

from django import template
from django.db import models
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kehu.core.fields import MoneyField
from kehu.core.templatetags.kehu_core import money
from kehu.customers.selectors import mask

register = template.Library()

SENSITIVE = {"id_number", "bank_account"}


# The money filter lives in kehu.core (kehu_core); it stays registered here for the templates that
# load customer_tags.
register.filter("money", money)


@register.filter(expects_localtime=False)
def local_date(value, fmt="Y-m-d"):
    """{{ customer.last_followup_at|local_date:"Y-m-d H:i" }}: a stored moment in the company's
    time zone, like Django's `date` filter, but one at the very end of the calendar (a
    follow-up typed as 9999-12-31 23:59, a day further in Asia/Shanghai) is shown as stored
    instead of failing the page."""
    if value in (None, ""):
        return ""
    try:
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, fmt)
    except (OverflowError, ValueError):
        return formats.date_format(value, fmt)


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


PHONE_FIELDS = {"phone", "mobile"}


@register.simple_tag
def field_rows(obj, names, user, currency="CNY"):
    """[(label, display value, is a phone number)] of `names` on `obj`, for <dl> sections."""
    return [(obj._meta.get_field(n).verbose_name, display_value(obj, n, user=user, currency=currency), n in PHONE_FIELDS)
            for n in names]


@register.simple_tag
def profile_sections(profile, user, currency="CNY"):
    """{% profile_sections customer.profile request.user customer.currency as sections %}:
    (filled, empty): the profile's sections with a value, as (label, rows), and the labels of
    those with nothing recorded (the page lists them on one line)."""
    filled, empty = [], []
    for label, names in profile.SECTIONS:
        rows = field_rows(profile, names, user, currency)
        if any_value(rows):
            filled.append((label, rows))
        else:
            empty.append(label)
    return filled, empty


@register.filter
def any_value(rows) -> bool:
    """True when at least one (label, value, …) row has a value."""
    return any(row[1] not in (None, "") for row in rows)


# --- phone numbers ------------------------------------------------------------------------
# Several numbers in one field are separated by these; an extension follows 转 / ext / x.
PHONE_SPLIT = re.compile(r"\s*(?:[/,，、;；]|\s{2,})\s*")
EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x)\s*(\d+)\s*$", re.IGNORECASE)


def tel_href(number: str) -> str:
    """`tel:` URI of a number as people type it ("0755-2878 0808转8001" -> tel:075528780808,8001);
    "" when it has too few digits to dial."""
    text = unicodedata.normalize("NFKC", number or "").strip()
    extension = ""
    match = EXTENSION.search(text)
    if match:
        extension, text = match.group(1), text[: match.start()]
    digits = re.sub(r"[^\d+]", "", text)
    digits = digits[:1] + digits[1:].replace("+", "")
    if len(digits.lstrip("+")) < 3:
        return ""
    return "tel:" + digits + ("," + extension if extension else "")


@register.filter(is_safe=True)
def tel(value):
    """{{ customer.phone|tel }}: each number of the field as a link a phone can call."""
    parts = [p for p in PHONE_SPLIT.split(str(value or "").strip()) if p]
    links = []
    for part in parts:
        href = tel_href(part)
        links.append(format_html('<a class="kehu-tel text-nowrap" href="{}">{}</a>', href, part) if href else format_html("{}", part))
    return mark_safe(" · ".join(links))


# --- the customer page ----------------------------------------------------------------------

KEY_ROLE_ORDER = ["decision_maker", "influencer", "buyer", "gatekeeper", "user", ""]


@register.simple_tag
def key_contacts(customer, limit=3):
    """{% key_contacts customer as contacts %}: the contacts of the summary card, read from the
    contacts the page already loaded: decision makers first, then the others with a role in
    the decision or a principal role; the first contacts when none has a role."""
    contacts = list(getattr(customer, "contact_list", None) or [])
    with_role = [c for c in contacts if c.decision_role or c.principal_role]
    with_role.sort(key=lambda c: (KEY_ROLE_ORDER.index(c.decision_role) if c.decision_role in KEY_ROLE_ORDER else 9, c.name))
    return (with_role or contacts)[:limit]


@register.simple_tag(takes_context=True)
def customer_page(context, customer):
    """{% customer_page customer as page %}: the registered panels (kehu.customers.hooks) rendered
    for this request: `page.summary` (HTML of the summary card's extra facts) and
    `page.sections`, one per section with a panel to show: key, label, full, main, side."""
    from kehu.customers import hooks

    def html(panel):
        return lazy_placeholder(panel, customer) if panel.lazy else panel.html(context, customer)

    def render(panels):
        return [mark_safe(text) for text in (html(p) for p in panels) if text and text.strip()]

    sections = []
    for key, label in hooks.SECTIONS:
        panels = hooks.customer_panels(key)
        parts = {width: render([p for p in panels if p.width == width]) for width in ("full", "main", "side")}
        if any(parts.values()):
            sections.append({"key": key, "label": label, **parts})
    return {"summary": render(hooks.customer_panels(hooks.SUMMARY)), "sections": sections}


def lazy_placeholder(panel, customer) -> str:
    """Where a lazy panel goes (kehu.customers.hooks.CustomerPanel.lazy): htmx replaces it with the
    panel once the page has loaded; without JavaScript it is a link to the panel."""
    from django.urls import reverse

    url = f"{reverse('customers:panels', args=[customer.pk])}?key={panel.key}"
    return format_html(
        '<div class="kehu-card small kehu-muted" id="lazy-{key}" data-testid="lazy-{key}" hx-get="{url}" hx-trigger="load" '
        'hx-swap="outerHTML"><a href="{url}">{label}</a></div>', key=panel.key, url=url, label=_("Loading…"),
    )


@register.simple_tag(takes_context=True)
def customer_lazy_panels(context, customer, keys):
    """{% customer_lazy_panels customer keys as panels %}: the HTML of the lazy panels named in
    `keys` (all of them when empty), in the page's order, for `customers:panels`."""
    from kehu.customers import hooks

    panels = [p for key, _label in ((hooks.SUMMARY, ""), *hooks.SECTIONS) for p in hooks.customer_panels(key)
              if p.lazy and (not keys or p.key in keys)]
    return [mark_safe(text) for text in (p.html(context, customer) for p in panels) if text and text.strip()]


@register.filter
def industry(value) -> str:
    """A stored industry in the reader's language (a GB/T 4754 section; other text as it is)."""
    from kehu.customers.industries import industry_label

    return industry_label(value or "")

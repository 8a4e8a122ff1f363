"""Hook registrations of contracts and orders, called from kehu/finance/wiring.py; idempotent:
how the credit-control notifications read, and contracts and orders on the customer timeline."""

from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.activities.hooks import TimelineEntry
from kehu.core.money import money_text

STATUS_BADGES = {"draft": "text-bg-secondary", "blocked": "text-bg-danger", "confirmed": "text-bg-info", "shipped": "text-bg-success"}


def render_order_blocked(n) -> str:
    p = n.params or {}
    return _("Order %(code)s of %(customer)s (%(total)s, owner %(owner)s) is held by credit control") % {
        "code": p.get("code", ""), "customer": n.customer.name if n.customer_id and n.customer else "",
        "total": money_text(p.get("total", ""), p.get("currency", "")), "owner": p.get("owner", ""),
    }


def render_order_released(n) -> str:
    p = n.params or {}
    return _("%(by)s released your order %(code)s for %(customer)s: %(reason)s") % {
        "by": p.get("by", ""), "code": p.get("code", ""), "reason": p.get("reason", ""),
        "customer": n.customer.name if n.customer_id and n.customer else "",
    }


def _noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)))


def contract_entries(*, customer, user, limit) -> list[TimelineEntry]:
    """The customer's contracts (one query)."""
    from kehu.core.money import format_money
    from kehu.finance.selectors import customer_contracts

    rows = customer_contracts(user=user, customer=customer, limit=limit)  # shared with the orders panel
    return [
        TimelineEntry(at=_noon(c.signed_on), kind="contract", icon="✍", label=_("Contract %(code)s signed") % {"code": c.code},
                      text=format_money(c.amount, c.currency), url=reverse("finance:contract-detail", args=[c.pk]),
                      by=str(c.owner) if c.owner_id else "")
        for c in rows
    ]


def order_entries(*, customer, user, limit) -> list[TimelineEntry]:
    """The customer's sales orders (one query, totals summed in it)."""
    from kehu.core.money import format_money
    from kehu.finance.selectors import customer_orders

    rows = customer_orders(user=user, customer=customer, limit=limit)  # shared with the orders panel
    return [
        TimelineEntry(at=_noon(o.order_date), kind="order", icon="📦", label=_("Order %(code)s") % {"code": o.code},
                      text=format_money(o.total, o.currency), url=reverse("finance:order-detail", args=[o.pk]),
                      by=str(o.owner) if o.owner_id else "", badge=o.get_status_display(),
                      badge_class=STATUS_BADGES.get(o.status, "text-bg-secondary"))
        for o in rows
    ]


def register() -> None:
    from kehu.activities import hooks
    from kehu.finance.services.orders import KIND_BLOCKED, KIND_RELEASED

    hooks.NOTIFICATION_RENDERERS.register(render_order_blocked, key=KIND_BLOCKED)
    hooks.NOTIFICATION_RENDERERS.register(render_order_released, key=KIND_RELEASED)
    hooks.TIMELINE_SOURCES.register(contract_entries)
    hooks.TIMELINE_SOURCES.register(order_entries)

"""Hook registrations of one part of sales, called from kehu/sales/wiring.py; idempotent:
how the quote notifications read, the quotes on the customer timeline, and the quotes that
move with a handover."""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.activities.hooks import TimelineEntry
from kehu.core.money import percent_text
from kehu.sales.policy import policy_label


def render_quote_approval(n) -> str:
    p = n.params or {}
    values = {
        "owner": p.get("owner", ""), "code": p.get("code", ""), "customer": n.customer.name if n.customer_id and n.customer else "",
        "discount": percent_text(p.get("discount", "")), "allowed": percent_text(p.get("allowed", "")), "policy": policy_label(p.get("policy") or ""),
        "term": p.get("term"), "allowed_term": p.get("allowed_term"),
    }
    term_over = values["term"] is not None and values["allowed_term"] is not None and values["term"] > values["allowed_term"]
    discount_over = not term_over or (p.get("discount") not in (None, "") and p.get("allowed") not in (None, "")
                                      and Decimal(p["discount"]) > Decimal(p["allowed"]))
    reasons = []
    if discount_over:
        reasons.append(_("a discount of %(discount)s (the policy allows %(allowed)s)") % values)
    if term_over:
        reasons.append(_("a payment term of %(term)s days (the policy allows %(allowed_term)s)") % values)
    text = _("%(owner)s asks you to approve quote %(code)s for %(customer)s: %(reasons)s") % {**values, "reasons": _("; ").join(reasons)}
    if values["policy"]:
        text += " · " + _("policy: %(policy)s") % values
    return text


def render_quote_decided(n) -> str:
    p = n.params or {}
    values = {"code": p.get("code", ""), "by": p.get("by", ""), "comment": p.get("comment", ""),
              "customer": n.customer.name if n.customer_id and n.customer else ""}
    if p.get("approved"):
        return _("%(by)s approved your quote %(code)s for %(customer)s") % values
    return _("%(by)s rejected your quote %(code)s for %(customer)s: %(comment)s") % values


def quote_entries(*, customer, user, limit) -> list[TimelineEntry]:
    """The customer's quotes on its timeline (one query)."""
    from kehu.core.money import format_money
    from kehu.sales.selectors import customer_recent_quotes

    rows = customer_recent_quotes(customer=customer, user=user, limit=limit)  # shared with the deals panel
    return [
        TimelineEntry(
            at=q.created_at, kind="quote", icon="📄", label=_("Quote %(code)s") % {"code": q.code},
            text=format_money(q.total, q.currency), url=reverse("sales:quote-detail", args=[q.pk]), by=str(q.owner),
            badge=q.get_status_display(),
            badge_class={"approved": "text-bg-success", "accepted": "text-bg-success", "pending": "text-bg-warning",
                         "rejected": "text-bg-danger", "sent": "text-bg-info"}.get(q.status, "text-bg-secondary"),
        )
        for q in rows
    ]


def register() -> None:
    from kehu.activities import hooks
    from kehu.customers import hooks as customer_hooks
    from kehu.sales.services import KIND_APPROVAL, KIND_DECIDED, open_quotes_count, open_quotes_hand_over

    customer_hooks.HANDOVER_COUNTERS.register(open_quotes_count)
    customer_hooks.HANDOVER_MOVERS.register(open_quotes_hand_over)

    hooks.NOTIFICATION_RENDERERS.register(render_quote_approval, key=KIND_APPROVAL)
    hooks.NOTIFICATION_RENDERERS.register(render_quote_decided, key=KIND_DECIDED)
    hooks.TIMELINE_SOURCES.register(quote_entries)

"""`{% deals_panel customer %}`: the customer's opportunities and quotes on its page, with
"New opportunity" / "New quote" for those who may sell to it. Two queries whatever the
number of rows. `customer` comes from the page's visibility-scoped selector."""

from django import template
from django.template.loader import render_to_string

from kehu.customers.permissions import can_edit_customer
from kehu.sales.selectors import customer_deals_opportunities, customer_recent_quotes

register = template.Library()

LIMIT = 10
APPROVALS_CAP = 100  # the navigation badge counts at most this many


@register.simple_tag(takes_context=True)
def deals_panel(context, customer):
    request = context.get("request")
    user = request.user if request is not None else context.get("user")
    opportunities = customer_deals_opportunities(user=user, customer=customer, limit=LIMIT + 1)  # shared with the follow-up forms
    quotes = customer_recent_quotes(customer=customer, user=user, limit=LIMIT + 1)  # shared with the timeline
    return render_to_string("sales/partials/deals_panel.html", {
        "customer": customer,
        "opportunities": opportunities[:LIMIT], "more_opportunities": len(opportunities) > LIMIT,
        "quotes": quotes[:LIMIT], "more_quotes": len(quotes) > LIMIT,
        "can_sell": can_edit_customer(user, customer),
    }, request=request)


@register.simple_tag(takes_context=True)
def pending_approvals_count(context) -> int:
    """How many quotes wait for the signed-in user's decision (for a navigation badge): one
    bounded query for managers and admins, none for anyone else."""
    from kehu.sales.selectors import quote_approval_queue

    request = context.get("request")
    user = request.user if request is not None else context.get("user")
    if not (user and user.is_authenticated and (user.is_manager or user.is_admin_role)):
        return 0
    if request is not None:
        # with the header's other counts, in one query (activities.context_processors.HeaderBadges)
        from kehu.core.context_processors import HeaderBadges

        return HeaderBadges.for_request(request).count("approvals")
    return quote_approval_queue(user=user).order_by()[:APPROVALS_CAP].count()

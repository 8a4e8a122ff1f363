"""`{% orders_panel customer %}`: the customer's contracts (code, signed, amount, received so far,
next due instalment) and sales orders (code, date, total, status), with "New contract" / "New
order" for those who may. `customer` comes from the page's visibility-scoped selector; the
panel's reads start from `visible_to(user)` as well, in two queries whatever the rows (none on the
customer page, where the timeline has read them: kehu.finance.selectors.customer_contracts)."""

from django import template
from django.template.loader import render_to_string

register = template.Library()

PANEL_LIMIT = 10


def panel_context(*, user, customer) -> dict:
    from kehu.finance.permissions import can_create_contract, can_create_order
    from kehu.finance.selectors import customer_contracts, customer_orders

    # On the customer page the timeline has read these already (kehu.customers.selectors.page_memo_rows).
    contracts = customer_contracts(user=user, customer=customer, limit=PANEL_LIMIT)
    orders = customer_orders(user=user, customer=customer, limit=PANEL_LIMIT)
    return {
        "customer": customer, "contracts": contracts, "orders": orders,
        "can_create_contract": can_create_contract(user, customer), "can_create_order": can_create_order(user, customer),
    }


@register.simple_tag(takes_context=True)
def orders_panel(context, customer):
    request = context["request"]
    return render_to_string("finance/partials/orders_panel.html", panel_context(user=request.user, customer=customer), request=request)

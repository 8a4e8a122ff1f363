"""`{% orders_panel customer %}`: the customer's contracts (code, signed, amount, received so far,
next due instalment) and sales orders (code, date, total, status), with "New contract" / "New
order" for those who may. `customer` comes from the page's visibility-scoped selector; the
panel's reads start from `visible_to(user)` as well, in three queries whatever the rows."""

from django import template
from django.template.loader import render_to_string

register = template.Library()

PANEL_LIMIT = 10


def panel_context(*, user, customer) -> dict:
    from django.db.models import OuterRef, Subquery, Sum

    from kehu.finance.models import Instalment
    from kehu.finance.permissions import can_create_contract, can_create_order
    from kehu.sales.models import Contract, SalesOrder

    next_due = Instalment.objects.filter(contract_id=OuterRef("pk"), paid_in_full_on__isnull=True).order_by("due_on", "seq")
    contracts = list(
        Contract.objects.visible_to(user).filter(customer_id=customer.pk)
        .annotate(received=Sum("instalments__applied"), next_due_on=Subquery(next_due.values("due_on")[:1]),
                  next_due_amount=Subquery(next_due.values("amount")[:1]), next_due_applied=Subquery(next_due.values("applied")[:1]))
        .order_by("-signed_on", "-id")[:PANEL_LIMIT]
    )
    orders = list(
        SalesOrder.objects.visible_to(user).filter(customer_id=customer.pk)
        .annotate(total=Sum("lines__revenue")).order_by("-order_date", "-id")[:PANEL_LIMIT]
    )
    return {
        "customer": customer, "contracts": contracts, "orders": orders,
        "can_create_contract": can_create_contract(user, customer), "can_create_order": can_create_order(user, customer),
    }


@register.simple_tag(takes_context=True)
def orders_panel(context, customer):
    request = context["request"]
    return render_to_string("finance/partials/orders_panel.html", panel_context(user=request.user, customer=customer), request=request)

"""`{% finance_panel customer %}`: credit limit, open and overdue amounts by bucket, the
bad-debt risk flag, the last three payments and "Record payment" for those who may.
`customer` comes from the page's visibility-scoped selector; the panel's reads start from
`visible_to(user)` too, in a fixed number of queries (aging: two, payments: one, signed status: one, credit use: two)."""

from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def finance_panel(context, customer):
    from kehu.finance.lifecycle import customer_signed_status
    from kehu.finance.panels import credit_use_once, customer_aging_once, page_facts_once
    from kehu.finance.permissions import can_record_payment
    from kehu.finance.selectors import customer_last_payments

    request = context["request"]
    user = request.user
    payments = customer_last_payments(user=user, customer=customer)
    return render_to_string(
        "finance/partials/finance_panel.html",
        {
            "customer": customer,
            "summary": customer_aging_once(context, customer),  # shared with the page's summary card
            "payments": payments,
            "can_record": can_record_payment(user, customer),
            "signed": (facts.signed if (facts := page_facts_once(customer)) is not None
                       else customer_signed_status(customer_ids=[customer.pk])[customer.pk]),
            "use": credit_use_once(context, customer),
        },
        request=request,
    )

"""The finance app's panels of the customer page (kehu.customers.hooks.CUSTOMER_PANELS),
registered from FinanceConfig.ready(): contracts and orders, receivables, and the
receivables and credit use in the page's summary card.

The receivables panel and the summary card read the same aging (two queries), computed once
per page (`customer_aging_once`).
"""

from decimal import ROUND_HALF_UP, Decimal

from kehu.customers.hooks import CustomerPanel, customer_panel_register

ZERO = Decimal("0.00")


def customer_aging_once(context, customer):
    """customer_aging of `customer` for the request's user, computed once per rendering of the
    customer page (kept in the page's render context; computed anew outside a template)."""
    from kehu.finance.aging import customer_aging

    request = context["request"]
    cache = getattr(context, "render_context", None)
    if cache is None:
        return customer_aging(user=request.user, customer=customer)
    key = ("kehu.finance.customer_aging", customer.pk, request.user.pk)
    if key not in cache:
        cache[key] = customer_aging(user=request.user, customer=customer)
    return cache[key]


def credit_use(customer, summary) -> dict | None:
    """What counts against the credit limit (kehu.finance.credit): open receivables and due
    instalments in the customer's currency, plus confirmed orders not yet shipped (one query);
    None without a credit limit."""
    if customer.credit_limit is None:
        return None
    from kehu.finance.credit import _confirmed_unshipped_total

    currency = customer.currency or "CNY"
    open_amount = sum((r.buckets.total for r in summary.per_currency if r.currency == currency), ZERO)
    unshipped = _confirmed_unshipped_total(customer)
    used = open_amount + unshipped
    limit = customer.credit_limit
    percent = None
    if limit > 0:
        percent = (used * 100 / limit).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return {"open": open_amount, "unshipped": unshipped, "used": used, "limit": limit, "currency": currency,
            "percent": percent, "bar": min(int(percent), 100) if percent is not None else (100 if used else 0),
            "over": used > limit}


def summary_context(context, customer) -> dict:
    summary = customer_aging_once(context, customer)
    return {"summary": summary, "credit": credit_use(customer, summary)}


def orders_panel(context, customer) -> str:
    from kehu.finance.templatetags.orders_panel import orders_panel as tag

    return tag(context, customer)


def finance_panel(context, customer) -> str:
    from kehu.finance.templatetags.finance_panel import finance_panel as tag

    return tag(context, customer)


def register() -> None:
    customer_panel_register(CustomerPanel(key="finance-summary", section="summary", order=50,
                                          template="finance/partials/customer_summary.html", context=summary_context))
    customer_panel_register(CustomerPanel(key="orders", section="orders", order=10, render=orders_panel))
    customer_panel_register(CustomerPanel(key="finance", section="orders", order=20, width="side", render=finance_panel))

"""The finance app's panels of the customer page (kehu.customers.hooks.CUSTOMER_PANELS),
registered from FinanceConfig.ready(): contracts and orders, receivables, and the
receivables and credit use in the page's summary card.

The receivables panel and the summary card read the same aging (two queries), computed once
per page (`customer_aging_once`).
"""

from decimal import ROUND_HALF_UP, Decimal

from kehu.customers.hooks import CustomerPanel, customer_panel_register

ZERO = Decimal("0.00")


def page_facts_once(customer):
    """On the customer page (its `page_memo`): the aging, credit use and signed status of
    `customer` from one query (kehu.finance.customer_page), read once for the summary card and
    the receivables panel; None elsewhere."""
    from django.utils import timezone

    from kehu.customers.selectors import page_memo
    from kehu.finance.customer_page import page_facts

    memo = page_memo(customer)
    if memo is None:
        return None
    if "finance.facts" not in memo:
        memo["finance.facts"] = page_facts(customer, today=timezone.localdate())
    return memo["finance.facts"]


def customer_aging_once(context, customer):
    """customer_aging of `customer` for the request's user, computed once per rendering of the
    customer page (kept in the page's render context; computed anew outside a template)."""
    from kehu.finance.aging import customer_aging

    facts = page_facts_once(customer)
    if facts is not None:
        return facts.aging
    request = context["request"]
    cache = getattr(context, "render_context", None)
    if cache is None:
        return customer_aging(user=request.user, customer=customer)
    key = ("kehu.finance.customer_aging", customer.pk, request.user.pk)
    if key not in cache:
        cache[key] = customer_aging(user=request.user, customer=customer)
    return cache[key]


def credit_use_once(context, customer):
    """The customer's credit use (kehu.finance.services.credit.credit_use: the figures credit
    control decides with), computed once per rendering of the customer page."""
    from django.utils import timezone

    from kehu.finance.services.credit import credit_use

    facts = page_facts_once(customer)
    if facts is not None:
        return facts.use
    cache = getattr(context, "render_context", None)
    if cache is None:
        return credit_use(customer, today=timezone.localdate())
    key = ("kehu.finance.credit_use", customer.pk)
    if key not in cache:
        cache[key] = credit_use(customer, today=timezone.localdate())
    return cache[key]


def credit_bar(customer, use) -> dict | None:
    """The summary card's figures: receivables, due instalments and unshipped orders against the
    limit; None without a credit limit."""
    if customer.credit_limit is None:
        return None
    used, limit = use.total, customer.credit_limit
    percent = (used * 100 / limit).quantize(Decimal("1"), rounding=ROUND_HALF_UP) if limit > 0 else None
    return {"receivables": use.receivables, "instalments": use.instalments, "unshipped": use.unshipped, "used": used,
            "limit": limit, "currency": use.currency, "percent": percent,
            "bar": min(int(percent), 100) if percent is not None else (100 if used else 0), "over": used > limit}


def summary_context(context, customer) -> dict:
    return {"summary": customer_aging_once(context, customer), "credit": credit_bar(customer, credit_use_once(context, customer))}


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

"""The sales app's panel of the customer page (kehu.customers.hooks.CUSTOMER_PANELS),
registered from SalesConfig.ready(): opportunities and quotes."""

from kehu.customers.hooks import CustomerPanel, customer_panel_register


def deals_panel(context, customer) -> str:
    from kehu.sales.templatetags.deals_panel import deals_panel as tag

    return tag(context, customer)


def register() -> None:
    customer_panel_register(CustomerPanel(key="deals", section="deals", order=10, render=deals_panel))

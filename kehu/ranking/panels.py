"""The ranking app's panel of the customer page (kehu.customers.hooks.CUSTOMER_PANELS),
registered from RankingConfig.ready(): the current tier, value class and key-account flag
with the terms they give. Beside the opportunities and quotes, where the terms matter. Drawn
after the page (`lazy`: its reads — runs, results, tier policies, settings — are its own)."""

from kehu.customers.hooks import CustomerPanel, customer_panel_register


def ranking_panel(context, customer) -> str:
    from kehu.ranking.templatetags.ranking_panel import ranking_panel as tag

    return tag(context, customer)


def register() -> None:
    customer_panel_register(CustomerPanel(key="ranking", section="deals", order=50, width="side", render=ranking_panel, lazy=True))

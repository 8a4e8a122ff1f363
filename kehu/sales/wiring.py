"""What sales plugs into the customers app's hooks. Called once from SalesConfig.ready();
each registration is idempotent."""


def register() -> None:
    from kehu.customers import hooks
    from kehu.sales import services

    hooks.POOL_RETURN_FILTERS.register(services.customers_without_open_opportunity)
    hooks.HANDOVER_COUNTERS.register(services.open_opportunities_count)
    hooks.HANDOVER_MOVERS.register(services.open_opportunities_hand_over)
    hooks.MERGE_MOVERS.register(services.sales_merge)

    from kehu.sales import wiring_deals

    wiring_deals.register()

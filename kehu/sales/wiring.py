"""What sales plugs into the customers app's hooks. Called once from SalesConfig.ready();
each registration is idempotent."""


def _append_once(registry: list, fn) -> None:
    if fn not in registry:
        registry.append(fn)


def register() -> None:
    from kehu.customers import hooks
    from kehu.sales import services

    _append_once(hooks.POOL_RETURN_FILTERS, services.customers_without_open_opportunity)
    _append_once(hooks.HANDOVER_COUNTERS, services.open_opportunities_count)
    _append_once(hooks.HANDOVER_MOVERS, services.open_opportunities_hand_over)
    _append_once(hooks.MERGE_MOVERS, services.sales_merge)

    from kehu.sales import wiring_deals

    wiring_deals.register()

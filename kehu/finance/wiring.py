"""What finance plugs into the customers app's hooks. Called once from FinanceConfig.ready();
each registration is idempotent."""


def _append_once(registry: list, fn) -> None:
    if fn not in registry:
        registry.append(fn)


def register() -> None:
    from kehu.customers import hooks
    from kehu.finance import services

    _append_once(hooks.MERGE_MOVERS, services.finance_merge)

    from kehu.finance import wiring_orders

    wiring_orders.register()

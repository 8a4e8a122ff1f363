"""The customers app's extension points are typed hooks (kehu.core.hooks.Hook) that the apps
above register into once, however often their wiring runs."""

from kehu.core.hooks import Hook
from kehu.customers import hooks

REGISTRIES = ("POOL_RETURN_FILTERS", "HANDOVER_MOVERS", "MERGE_MOVERS", "HANDOVER_COUNTERS", "POOL_EXIT_HANDLERS",
              "CATEGORY_SOURCES", "CUSTOMER_PANELS")


def test_every_registry_is_a_hook():
    for name in REGISTRIES:
        assert isinstance(getattr(hooks, name), Hook), name


def test_wiring_twice_registers_each_function_once():
    from kehu.activities import wiring as activities_wiring
    from kehu.finance import wiring as finance_wiring
    from kehu.sales import wiring as sales_wiring

    before = {name: len(getattr(hooks, name)) for name in REGISTRIES}
    for wiring in (activities_wiring, sales_wiring, finance_wiring):
        wiring.register()
        wiring.register()
    assert {name: len(getattr(hooks, name)) for name in REGISTRIES} == before
    from kehu.sales import services as sales_services

    assert list(hooks.POOL_RETURN_FILTERS) == [sales_services.customers_without_open_opportunity]
    assert sales_services.sales_merge in hooks.MERGE_MOVERS

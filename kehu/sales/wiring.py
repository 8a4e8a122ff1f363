"""What sales plugs into the customers app's hooks and into `kehu daily`. Called once from
SalesConfig.ready(); each registration is idempotent."""

from django.utils.translation import gettext_lazy

REVENUE_MONTHS_KEY = "revenue_months"


def register() -> None:
    from kehu.customers import hooks
    from kehu.sales import services

    hooks.POOL_RETURN_FILTERS.register(services.customers_without_open_opportunity)
    hooks.HANDOVER_COUNTERS.register(services.open_opportunities_count)
    hooks.HANDOVER_MOVERS.register(services.open_opportunities_hand_over)
    hooks.MERGE_MOVERS.register(services.sales_merge)

    from kehu.core.hooks import DailyStep, daily_step_register
    from kehu.sales.summaries import daily_revenue_months

    # After the reminders and forecasts, just before the revenue anomaly alerts (60), which read
    # the summary: a safety net only — every write keeps the summary exact.
    daily_step_register(DailyStep(REVENUE_MONTHS_KEY, gettext_lazy("Revenue summary checked: customers corrected"), daily_revenue_months, order=59))

    from kehu.sales import wiring_deals

    wiring_deals.register()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kehu.core.hooks import DailyStep, daily_step_register
        from kehu.customers.services import pool_run_returns, pool_run_warnings

        # `kehu daily`: warnings run before returns, so that the warning an owner gets is never
        # later than the return.
        daily_step_register(DailyStep("pool_warnings", _("Owners warned of a coming return to the pool"), pool_run_warnings, order=20))
        daily_step_register(DailyStep("pool_returns", _("Customers returned to the pool"), pool_run_returns, order=30))
        from kehu.customers.summaries import REBUILD_KEY, daily_stage_months

        # The stage-entry summary checked against the stage changes after the pool's returns (a
        # safety net only: every write keeps it exact).
        daily_step_register(DailyStep(REBUILD_KEY, _("Stage-entry summary checked: customers corrected"), daily_stage_months, order=58))

        from kehu.customers import panels

        panels.register()  # the customer page's own panels, registered like every app's

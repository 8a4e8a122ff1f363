from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "kehu.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from kehu.finance import wiring

        wiring.register()

        from kehu.finance import panels

        panels.register()  # its panels of the customer page (kehu.customers.hooks.CUSTOMER_PANELS)

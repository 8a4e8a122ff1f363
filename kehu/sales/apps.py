from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kehu.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from kehu.sales import wiring

        wiring.register()

        from kehu.sales import panels

        panels.register()  # its panels of the customer page (kehu.customers.hooks.CUSTOMER_PANELS)

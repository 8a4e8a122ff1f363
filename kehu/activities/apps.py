from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kehu.activities"
    label = "activities"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from kehu.activities import wiring

        wiring.register()

        from kehu.activities import panels

        panels.register()  # its panels of the customer page (kehu.customers.hooks.CUSTOMER_PANELS)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RankingConfig(AppConfig):
    name = "kehu.ranking"
    label = "ranking"
    verbose_name = _("Ranking")

    def ready(self) -> None:
        from kehu.ranking import wiring

        wiring.register()

        from kehu.ranking import panels

        panels.register()  # its panels of the customer page (kehu.customers.hooks.CUSTOMER_PANELS)

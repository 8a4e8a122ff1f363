from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "kehu.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from kehu.finance import wiring

        wiring.register()

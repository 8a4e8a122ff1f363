from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "kehu.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from kehu.reports import wiring

        wiring.register()

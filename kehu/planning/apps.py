from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "kehu.planning"
    label = "planning"
    verbose_name = _("Targets and forecast")

    def ready(self) -> None:
        from kehu.planning import wiring

        wiring.register()

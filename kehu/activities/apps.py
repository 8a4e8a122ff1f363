from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kehu.activities"
    label = "activities"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from kehu.activities import wiring

        wiring.register()

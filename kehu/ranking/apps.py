from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RankingConfig(AppConfig):
    name = "kehu.ranking"
    label = "ranking"
    verbose_name = _("Ranking")

    def ready(self) -> None:
        from kehu.ranking import wiring

        wiring.register()

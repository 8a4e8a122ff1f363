from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "kehu.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from kehu.api.strings import use_strict_strings

        use_strict_strings()

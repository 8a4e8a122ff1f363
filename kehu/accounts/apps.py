from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kehu.accounts"
    label = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from kehu.accounts import signals  # noqa: F401  (session bookkeeping only)

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kehu.accounts"
    label = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from kehu.accounts import signals  # noqa: F401  (session bookkeeping only)

        # django-axes (the sign-in lockouts, kehu.accounts' business) calls its app "Axes" in
        # the admin index; its model names are translated by our catalogue.
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Sign-in protection")

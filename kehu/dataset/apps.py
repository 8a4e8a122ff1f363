from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatasetConfig(AppConfig):
    name = "kehu.dataset"
    label = "dataset"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from kehu.dataset import jobs

        jobs.register()  # its background jobs: "Import now" and the large exports (kehu.core.jobs)

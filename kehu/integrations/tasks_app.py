"""django-tasks-db's app config under a translated name (its own module: kehu.integrations.apps
must keep a single AppConfig, or Django stops picking IntegrationsConfig on its own)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksDatabaseConfig(AppConfig):
    """django-tasks-db's app (the background tasks' queue table) under a translated name in the
    admin; the same name and label, so its migrations and tables are the package's own."""

    name = "django_tasks_db"
    label = "django_tasks_database"
    verbose_name = _("Background tasks")

    def ready(self) -> None:
        from django_tasks_db import signal_handlers  # noqa: F401 (the package's own ready())

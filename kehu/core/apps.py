from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_migrate

        # ops (issue 15): the database cache's table, created by `kehu migrate` (settings.CACHES)
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="kehu.core.create_cache_table")


def create_cache_table(sender, using="default", verbosity=1, **kwargs):
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)

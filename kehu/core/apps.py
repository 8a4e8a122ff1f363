from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kehu.core.hooks import DailyStep, daily_step_register
        from kehu.core.jobs import jobs_clean, jobs_stranded_fail
        from kehu.core.tasks import WORKER_START

        WORKER_START.register(jobs_stranded_fail, key="jobs")
        daily_step_register(DailyStep(key="jobs", label=_("Old background jobs and their files deleted"), run=jobs_clean, order=45))
        # ops (issue 15): the database cache's table, created by `kehu migrate` (settings.CACHES)
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="kehu.core.create_cache_table")


def create_cache_table(sender, using="default", verbosity=1, **kwargs):
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kehu.core.hooks import DailyStep, daily_step_register
        from kehu.core.jobs import jobs_clean, jobs_stranded_fail
        from kehu.core.tasks import WORKER_START

        WORKER_START.register(jobs_stranded_fail, key="jobs")
        daily_step_register(DailyStep(key="jobs", label=_("Old background jobs and their files deleted"), run=jobs_clean, order=95))

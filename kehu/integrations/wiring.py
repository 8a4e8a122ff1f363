"""What the integrations app registers into the lower apps (called from IntegrationsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from kehu.core.events import EVENT_SINKS
from kehu.core.hooks import DailyStep, daily_step_register
from kehu.core.tasks import WORKER_START


def _requeue(*, now) -> int:
    from kehu.integrations.services import deliveries_requeue_stranded

    return deliveries_requeue_stranded(now=now)


def register() -> None:
    from kehu.integrations.services import events_write

    EVENT_SINKS.register(events_write, key="integrations.webhooks")
    WORKER_START.register(_requeue, key="webhooks")
    daily_step_register(DailyStep(key="webhooks", label=_("Webhook deliveries enqueued again"), run=_requeue, order=54))

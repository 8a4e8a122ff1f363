"""Background tasks: Django's Tasks API (the django-tasks backport on Django 5.2) with the
database backend (django-tasks-db): the queue is a table of Kehu's own database, no broker.
`kehu worker` runs it (docs/architecture.md, "Background tasks").

WORKER_START: what an app does once when a worker starts, before it takes tasks — e.g. enqueue
again the work a killed worker left behind (kehu.integrations: stranded webhook deliveries).
Each entry is `fn(*, now) -> int` (how many it enqueued), keyed by name.
"""

from collections.abc import Callable

from kehu.core.hooks import Hook

WORKER_START: Hook[Callable[..., int]] = Hook("core.worker_start")


# --- the tasks (bgjobs, issue 15) --------------------------------------------------------
from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    """Run one background job (kehu.core.jobs.job_run): an import, an evaluation run, an export."""
    from kehu.core.jobs import job_run

    return job_run(job_id)


@task()
def run_daily_steps(keys: list[str], now: str = "") -> dict:
    """`kehu daily --enqueue`: run the first of `keys` (`kehu daily`'s steps, in their order) as
    of `now` (ISO; the moment they were enqueued), then enqueue the rest as the next task — each
    step its own task, in order, one at a time even with several workers. A step that fails is
    logged and the chain goes on (as in `kehu daily`). Returns {key: count, or None if failed}."""
    import logging

    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from kehu.core.hooks import DAILY_STEPS

    if not keys:
        return {}
    key, rest = keys[0], list(keys[1:])
    step = DAILY_STEPS.get(key)
    count = None
    try:
        if step is None:
            raise LookupError(f"no daily step {key!r}")
        count = step.run(now=parse_datetime(now) if now else timezone.now())
    except Exception:
        logging.getLogger(__name__).exception("kehu daily --enqueue: step %s failed", key)
    finally:
        if rest:
            run_daily_steps.enqueue(rest, now)
    return {key: count}

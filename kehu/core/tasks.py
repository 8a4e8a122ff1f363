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

"""`kehu worker`: runs Kehu's background tasks from the database queue until stopped (Ctrl+C,
SIGTERM: the task in hand finishes first). The package's `db_worker` with Kehu's start-up steps
(kehu.core.tasks.WORKER_START) first; every option of `db_worker` works (`--batch` runs what is
queued and exits, `--interval`, `--max-tasks`, `--queue-name`)."""

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from kehu.core.tasks import WORKER_START


class Command(DbWorkerCommand):
    help = "Run Kehu's background tasks (webhook deliveries, …) from the database queue until stopped."

    def handle(self, *args, **options):
        now = timezone.now()
        for key in WORKER_START.keys():
            count = WORKER_START.get(key)(now=now)
            if count and options.get("verbosity", 1) >= 1:
                self.stdout.write(f"{key}: {count}")
        return super().handle(*args, **options)

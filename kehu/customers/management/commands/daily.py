"""`kehu daily`: the once-a-day housekeeping, run from cron (docs/operations.md).

Each step is a function `fn(*, now) -> int` (how many records it wrote). Later issues add
their steps (reminders, alerts) to STEPS. Every step is idempotent, so running the command
twice on a day — or again after a failure — writes nothing new.
"""

import json
import logging
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.services import user_sessions_prune
from kehu.core.db import refresh_statistics
from kehu.customers.services import pool_run_returns, pool_run_warnings

logger = logging.getLogger(__name__)

# (key in the --json output, label of the human summary, step); in the order they run.
# Warnings run before returns, so that the warning an owner gets is never later than the return.
STEPS = [
    ("pool_warnings", gettext_lazy("Owners warned of a coming return to the pool"), pool_run_warnings),
    ("pool_returns", gettext_lazy("Customers returned to the pool"), pool_run_returns),
]


def parse_now(value: str) -> datetime:
    """An ISO date-time (naive means the company's time zone) or a date (its noon)."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        moment = datetime(day.year, day.month, day.day, 12, 0)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Run the daily housekeeping: pool return warnings, then automatic returns to the pool."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON document of counts and nothing else.")
        parser.add_argument("--now", help="Run as of this ISO date-time or date, for tests and backfills.")

    def handle(self, *args, **options):
        try:
            now = parse_now(options["now"]) if options["now"] else timezone.now()
        except ValueError:
            raise CommandError(_("--now must be an ISO date or date-time, for example 2025-03-31T02:00:00+08:00."))
        results, failed = {}, []
        for key, _label, step in STEPS:
            try:
                results[key] = step(now=now)
            except Exception:  # one broken step must not stop the others (pool returns, reminders)
                logger.exception("kehu daily: step %s failed", key)
                results[key] = None
                failed.append(key)
        user_sessions_prune()
        refresh_statistics()
        if options["json"]:
            self.stdout.write(json.dumps(results))
        else:
            self.stdout.write(_("Kehu daily run as of %(now)s") % {"now": timezone.localtime(now).isoformat(timespec="minutes")})
            failed_text = _("failed")
            for key, label, _step in STEPS:
                self.stdout.write(f"  {label}: {failed_text if key in failed else results[key]}")
        if failed:
            raise CommandError(_("These steps failed (see the log); the others ran: %(steps)s") % {"steps": ", ".join(failed)})

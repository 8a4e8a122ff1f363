"""`kehu daily`: the once-a-day housekeeping, run from cron (docs/operations.md).

The steps are registered by the apps that own them (`kehu.core.hooks.daily_step_register`,
from each app's `AppConfig.ready()`): scheduled evaluation runs (ranking), pool warnings then
pool returns (customers), reminders and alerts, the e-mail digest last (activities). This
command runs `daily_steps()` in their order; each is `run(*, now) -> int` (how many records
it wrote) and idempotent, so running the command twice on a day — or again after a failure —
writes nothing new. A step that fails does not stop the others; the command then exits
non-zero naming it.
"""

import json
import logging
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from kehu.accounts.services import user_sessions_prune
from kehu.core.db import refresh_statistics
from kehu.core.hooks import daily_steps

logger = logging.getLogger(__name__)


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
    help = "Run the daily housekeeping: evaluation runs, pool warnings and returns, reminders, the digest."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON document of counts and nothing else.")
        parser.add_argument("--now", help="Run as of this ISO date-time or date, for tests and backfills.")
        parser.add_argument(
            "--enqueue", action="store_true",
            help="Hand the steps to the background worker (`kehu worker`), one task each, in order, instead of running them here.",
        )

    def handle(self, *args, **options):
        try:
            now = parse_now(options["now"]) if options["now"] else timezone.now()
        except ValueError:
            raise CommandError(_("--now must be an ISO date or date-time, for example 2025-03-31T02:00:00+08:00."))
        steps = daily_steps()
        if options["enqueue"]:  # bgjobs (issue 15): kehu.core.tasks.run_daily_steps
            from kehu.core.tasks import run_daily_steps

            result = run_daily_steps.enqueue([s.key for s in steps], now.isoformat())
            user_sessions_prune()
            refresh_statistics()
            if options["json"]:
                self.stdout.write(json.dumps({"enqueued": [s.key for s in steps], "task": str(result.id)}))
            else:
                self.stdout.write(_("Kehu daily: %(count)d steps handed to the background worker, as of %(now)s.") % {
                    "count": len(steps), "now": timezone.localtime(now).isoformat(timespec="minutes")})
            return
        results, failed = {}, []
        for step in steps:
            try:
                results[step.key] = step.run(now=now)
            except Exception:  # one broken step must not stop the others (pool returns, reminders)
                logger.exception("kehu daily: step %s failed", step.key)
                results[step.key] = None
                failed.append(step.key)
        user_sessions_prune()
        refresh_statistics()
        if options["json"]:
            self.stdout.write(json.dumps(results))
        else:
            self.stdout.write(_("Kehu daily run as of %(now)s") % {"now": timezone.localtime(now).isoformat(timespec="minutes")})
            failed_text = _("failed")
            for step in steps:
                self.stdout.write(f"  {step.label}: {failed_text if step.key in failed else results[step.key]}")
        if failed:
            raise CommandError(_("These steps failed (see the log); the others ran: %(steps)s") % {"steps": ", ".join(failed)})

"""kehu anomalies MONTH [--share 20] [--json] (DATASET.md): DOMAIN.md §7's revenue anomalies of a
month — each rep whose revenue fell under `share` % of the median of the six months before."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kehu.core.dates import DATE_MAX, DATE_MIN
from kehu.core.exactjson import dumps
from kehu.core.money import format_money
from kehu.reports.anomalies import DEFAULT_SHARE
from kehu.reports.selectors.anomalies import revenue_anomalies


def _month(text: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", (text or "").strip())
    if match and 1 <= int(match.group(2)) <= 12 and DATE_MIN.year <= int(match.group(1)) <= DATE_MAX.year:
        return date(int(match.group(1)), int(match.group(2)), 1)
    raise CommandError(_("Write the month as YYYY-MM, e.g. 2026-06."), returncode=2)


def _share(text: str) -> Decimal:
    try:
        share = Decimal(str(text).strip())
    except InvalidOperation:
        share = None
    if share is None or not share.is_finite() or not 0 < share <= 100:
        raise CommandError(_("The share is a percentage above 0 and at most 100."), returncode=2)
    return share


class Command(BaseCommand):
    help = "Revenue anomalies of a month (DOMAIN.md §7): reps whose revenue fell under a share of their usual month."

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month, YYYY-MM")
        parser.add_argument("--share", default=str(DEFAULT_SHARE), help="percent of the median below which a month is an anomaly (20)")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **opts):
        month, share = _month(opts["month"]), _share(opts["share"])
        alerts = revenue_anomalies(month=month, share=share)
        label = f"{month:%Y-%m}"
        if opts["json"]:
            # Share and ratio are exact JSON numbers straight from their Decimals (20, 0.1920).
            self.stdout.write(dumps({
                "month": label, "share": share,
                "alerts": [{"user": rep.username, "revenue": str(a.revenue), "median": str(a.median), "ratio": a.ratio} for rep, a in alerts],
            }, indent=1))
            return
        if not alerts:
            self.stdout.write(_("%(month)s: no rep under %(share)s%% of their usual month.") % {"month": label, "share": share})
            return
        for rep, a in alerts:
            self.stdout.write(_("%(rep)s: usually ~%(median)s a month, %(month)s %(revenue)s (%(ratio)s of usual)") % {
                "rep": rep.username, "median": format_money(a.median), "month": label, "revenue": format_money(a.revenue),
                "ratio": f"{(a.ratio * 100).quantize(Decimal('0.01'))}%",
            })

"""kehu forecast accuracy PERIOD [--lead-days 28] [--json] (DATASET.md): DOMAIN.md §7 forecast
accuracy per rep, as the system (every rep)."""


from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.core.exactjson import dumps
from kehu.core.money import format_money, format_percent
from kehu.planning.accuracy import cutoff_of
from kehu.planning.errors import PlanningError
from kehu.planning.periods import parse_period
from kehu.planning.selectors.accuracy import DEFAULT_LEAD_DAYS, KINDS, MAX_LEAD_DAYS, forecast_accuracy

DASH = "—"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    """Plain columns, padded by display width (a Chinese character takes two)."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - width(cell))
            out.append(pad + cell if i in right else cell + pad)
        return "  ".join(out).rstrip()

    return [line(header), *(line(r) for r in rows)]


class Command(BaseCommand):
    help = "Forecasts: `accuracy PERIOD` prints DOMAIN.md §7 forecast accuracy per rep."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        accuracy = sub.add_parser("accuracy", help="forecast accuracy per rep for a month (2026-06) or a quarter (2026-Q2)")
        accuracy.add_argument("period", help="a month 2026-06 or a quarter 2026-Q2")
        accuracy.add_argument("--lead-days", dest="lead_days", type=int, default=DEFAULT_LEAD_DAYS,
                              help="days before the period's last day (default 28)")
        accuracy.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **opts):
        if opts["action"] == "accuracy":
            self.accuracy(opts)

    def accuracy(self, opts):
        try:
            period = parse_period(opts["period"], kinds=KINDS)
        except PlanningError as exc:
            raise CommandError(exc.message, returncode=2) from None
        lead = opts["lead_days"]
        if not 0 <= lead <= MAX_LEAD_DAYS:
            raise CommandError(_("The lead time is a number of days from 0 to %(max)d.") % {"max": MAX_LEAD_DAYS}, returncode=2)
        rows = forecast_accuracy(period=period, lead_days=lead)
        if opts["json"]:
            doc = {"period": period.label, "lead_days": lead, "reps": [r.as_json() for r in rows]}
            self.stdout.write(dumps(doc, indent=1))
            return
        self.stdout.write(_("Forecast accuracy %(period)s, forecasts submitted by %(cutoff)s (%(days)d days before the end)") % {
            "period": period.label, "cutoff": cutoff_of(period.end, lead).isoformat(), "days": lead,
        })
        if not rows:
            self.stdout.write(_("No rep has a forecast or a won amount in this period."))
            return
        header = [_("Rep"), pgettext("accuracy", "Forecast"), pgettext("accuracy", "Actual"), pgettext("accuracy", "Accuracy"), pgettext("accuracy", "Bias")]
        body = [[
            r.username if r.name == r.username else f"{r.username} {r.name}",
            DASH if r.forecast is None else format_money(r.forecast),
            format_money(r.actual),
            DASH if r.accuracy is None else format_percent(r.accuracy, ratio=True),
            DASH if r.bias is None else format_percent(r.bias, ratio=True),
        ] for r in rows]
        for text in _table(header, body, right={1, 2, 3, 4}):
            self.stdout.write(text)

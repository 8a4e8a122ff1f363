"""kehu evaluate MODEL --as-of YYYY-MM-DD [--window-months 12] [--param NAME=VALUE …] [--json] (DATASET.md)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kehu.ranking.errors import RankingError
from kehu.core.exactjson import dumps
from kehu.ranking.scoring import DEFAULTS
from kehu.ranking.selectors import run_payload
from kehu.ranking.services import evaluation_run


class Command(BaseCommand):
    help = "Run and store an evaluation run (pyramid, value or key_account)."

    def add_arguments(self, parser):
        parser.add_argument("model", help="pyramid, value or key_account")
        parser.add_argument("--as-of", required=True, help="the evaluation date, YYYY-MM-DD")
        parser.add_argument("--window-months", type=int, default=None, help="length of the window in months (default: the scoring settings, 12 unless changed)")
        parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="override a model parameter")
        parser.add_argument("--json", action="store_true", help="print the run as JSON")
        parser.add_argument("--xlsx", metavar="PATH", help="also write the run's XLSX (every customer, as the director's export) to PATH, with progress")

    def handle(self, *args, **opts):
        try:
            as_of = date.fromisoformat(opts["as_of"])
        except ValueError:
            raise CommandError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": opts["as_of"]}, returncode=2) from None
        params = {}
        for item in opts["param"]:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise CommandError(_("“%(value)s” is not NAME=VALUE.") % {"value": item}, returncode=2)
            params[name.strip()] = value
        try:
            run = evaluation_run(actor=None, model=opts["model"], as_of=as_of, window_months=opts["window_months"], params=params)
        except RankingError as e:
            raise CommandError(str(e), returncode=2) from None
        if opts["xlsx"]:
            self._xlsx(run, opts["xlsx"])
        payload = run_payload(run)
        if opts["json"]:
            self.stdout.write(dumps(payload))
            return
        ranked = sum(1 for r in payload["results"] if r["rank"] is not None)
        self.stdout.write(
            _("Run %(run)d: %(model)s as of %(as_of)s, %(months)d months, %(count)d customers ranked.")
            % {"run": run.pk, "model": run.model, "as_of": payload["as_of"], "months": run.window_months, "count": ranked}
        )
        counts = {}
        for r in payload["results"]:
            counts[r["class"]] = counts.get(r["class"], 0) + 1
        shares = {s["class"]: s["profit_share"] for s in payload.get("summary", [])}
        for klass, count in counts.items():
            if klass in shares:
                line = _("  %(class)s: %(count)d (profit share %(share)s)") % {"class": klass, "count": count, "share": shares[klass]}
            else:
                line = _("  %(class)s: %(count)d") % {"class": klass, "count": count}
            self.stdout.write(line)
        changed = {k: v for k, v in payload["params"].items() if str(DEFAULTS[run.model][k]) != str(v)}
        if changed:
            self.stdout.write(_("Parameters changed: %(params)s") % {"params": ", ".join(f"{k}={v}" for k, v in changed.items())})

    def _xlsx(self, run, path):
        """The run's workbook (classes, results, parameters) streamed to `path`; progress on stderr."""
        import time

        from kehu.ranking import exports, selectors

        started = time.monotonic()
        table = selectors.class_table(run, selectors.SYSTEM)
        rows = selectors.result_rows(run, selectors.SYSTEM)
        sheets = [exports.class_sheet(run, table), exports.results_sheet(run, rows), exports.params_sheet(run)]
        total = len(sheets[0][2]) + rows.count() + len(sheets[2][2])

        def progress(done):
            self.stderr.write(_("XLSX: %(done)d of %(total)d rows") % {"done": done, "total": total}, ending="\r")
            self.stderr.flush()

        written = exports.workbook_write(path, sheets, progress=progress)
        self.stderr.write("")
        self.stderr.write(
            _("XLSX written to %(path)s: %(rows)d rows in %(seconds)s s.")
            % {"path": path, "rows": written, "seconds": f"{time.monotonic() - started:.1f}"}
        )

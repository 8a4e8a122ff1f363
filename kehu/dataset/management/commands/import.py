"""kehu import PATH [--dry-run] [--skip-bad] [--json] [--user USERNAME] (DATASET.md);
kehu import FILE --as customers|contacts|products|activities|opportunities: a firm's own
spreadsheet or another CRM's export, read through the remembered or the automatic mapping."""

import json
import sys
import time

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kehu.dataset.files import DatasetError
from kehu.dataset.mapping import describe, foreign_prepare
from kehu.dataset.management.commands._common import acting_user
from kehu.dataset.services import dataset_import, import_exit_code


class Command(BaseCommand):
    help = "Import a Kehu dataset: a folder of CSV files or one .xlsx workbook."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a folder of CSV files, one CSV file, or an .xlsx workbook")
        parser.add_argument(
            "--as", dest="kind", choices=["customers", "contacts", "products", "activities", "opportunities"],
            help="read FILE (CSV or .xlsx, any headings) as this kind of list, with the remembered or the automatic mapping",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--skip-bad", action="store_true", help="write the good rows even when some rows are bad")
        parser.add_argument("--json", action="store_true", help="print one JSON document on standard output")
        parser.add_argument("--user", help="import as this user (default: the system, as an administrator)")
        parser.add_argument(
            "--progress", action="store_true",
            help="show the progress on standard error even when it is not a terminal (one line per step)",
        )

    def handle(self, *args, **opts):
        actor = acting_user(opts["user"])
        try:
            bar = ProgressBar(sys.stderr, lines=not sys.stderr.isatty()) if opts["progress"] or sys.stderr.isatty() else None
            dataset, mapped = None, None
            if opts["kind"]:
                mapped = foreign_prepare(opts["path"], opts["kind"])
                if not opts["json"]:
                    self._print_mapping(mapped)
                dataset = mapped.dataset
            report = dataset_import(
                actor=actor, path=None if dataset else opts["path"], dataset=dataset, dry_run=opts["dry_run"],
                skip_bad=opts["skip_bad"], progress=bar,
            )
            if bar is not None:
                bar.close()
        except DatasetError as exc:
            raise CommandError(exc.message, returncode=2) from None
        except PermissionDenied:
            raise CommandError(_("User %(value)s may not import data.") % {"value": actor.username}, returncode=2) from None
        if opts["json"]:
            document = report.as_json()
            if mapped is not None:
                document["mapping"] = describe(mapped)
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=1))
        else:
            self._print(report)
        code = import_exit_code(report)
        if code:
            if report.skip_bad:
                message = _("%(count)d bad rows and no good row to write.")
            elif report.dry_run:
                message = _("%(count)d bad rows. Fix them, or import with --skip-bad to write the good rows.")
            else:
                message = _("%(count)d bad rows; nothing was written. Fix them, or run again with --skip-bad to write the good rows.")
            raise CommandError(message % {"count": report.bad_row_count}, returncode=code)

    def _print_mapping(self, mapped) -> None:
        """The columns as read, the skipped ones and the words that match no choice."""
        info = describe(mapped)
        source = _("remembered") if info["remembered"] else _("automatic")
        self.stdout.write(_("Mapping (%(source)s) of %(name)s, %(rows)d rows:") % {"source": source, "name": mapped.sheet.name, "rows": mapped.rows})
        for column in info["columns"]:
            if column["field"]:
                self.stdout.write(f"  {column['heading']} → {column['label']}")
        if info["skipped"]:
            self.stdout.write(_("Skipped columns: %(columns)s") % {"columns": "、".join(info["skipped"])})
        if info["unmapped"]:
            self.stdout.write(_("Values that match no choice (imported as the default):"))
            for word in info["unmapped"]:
                self.stdout.write(f"  {word['field']}: {word['value']} ({word['rows']})")

    def _print(self, report) -> None:
        planned = report.dry_run or not report.written
        created = report.would_create or report.created
        updated = report.would_update or report.updated
        for name in created:
            counts = {"file": name, "created": created[name], "updated": updated[name], "unchanged": report.unchanged.get(name, 0)}
            if planned:
                self.stdout.write(_("%(file)s: %(created)d to create, %(updated)d to update, %(unchanged)d unchanged") % counts)
            else:
                self.stdout.write(_("%(file)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged") % counts)
        for title, issues in ((_("Bad rows"), report.errors), (_("Warnings"), report.warnings), (_("Notices"), report.notices)):
            if issues:
                self.stdout.write(f"{title}:")
                for i in issues:
                    line = _("line %(line)d") % {"line": i.line} if i.line else ""
                    where = ", ".join(part for part in (i.file, line, i.column) if part)
                    self.stdout.write(f"  {where}: {i.reason}")
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        elif report.written:
            self.stdout.write(self.style.SUCCESS(
                _("Imported: %(created)d records created, %(updated)d updated.")
                % {"created": sum(report.created.values()), "updated": sum(report.updated.values())}
            ))
        elif not report.errors:
            self.stdout.write(_("Nothing to change: the data is already in Kehu."))


class ProgressBar:
    """`kehu import`'s progress on standard error (never on standard output, which --json keeps
    for the JSON document): a bar redrawn in place on a terminal; otherwise, with --progress,
    one line when a file's step starts, at every tenth and when it ends."""

    WIDTH = 30

    def __init__(self, stream, *, lines: bool):
        self.stream = stream
        self.lines = lines
        self.step = None
        self.started = time.monotonic()
        self.shown_tenth = -1
        self.drawn = False

    def __call__(self, file: str, phase: str, done: int, total: int) -> None:
        if (file, phase) != self.step:
            self.close()
            self.step = (file, phase)
            self.started = time.monotonic()
            self.shown_tenth = -1
        label = _("checking") if phase == "check" else _("writing")
        seconds = time.monotonic() - self.started
        rate = done / seconds if seconds > 0 else 0
        share = done / total if total else 1
        if self.lines:
            tenth = int(share * 10)
            if tenth == self.shown_tenth:
                return
            self.shown_tenth = tenth
            self.stream.write(f"{file}: {label} {done}/{total} ({share:.0%}, {seconds:.1f} s, {rate:,.0f}/s)\n")
            self.stream.flush()
            return
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r{file} {label} [{bar}] {share:4.0%} {done:,}/{total:,} {rate:,.0f}/s ")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

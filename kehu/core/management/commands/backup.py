"""`kehu backup FILE [--noinput]`: a consistent copy of the whole database, taken while Kehu runs
(SQLite's backup API, or pg_dump's custom format on PostgreSQL). Asks before replacing FILE."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kehu.core.backup import BackupError, backup_create, vendor_name
from kehu.core.management.commands.restore import confirm


class Command(BaseCommand):
    help = "Back up the whole database to FILE (restore it with `kehu restore FILE`)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file to write (a SQLite database, or a pg_dump file on PostgreSQL)")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="replace FILE without asking")
        parser.add_argument("--database", default="default", help="the database alias (default: default)")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if path.exists() and opts["interactive"]:
            confirm(self, _("%(path)s exists. Replace it with a new backup?") % {"path": path})
        try:
            info = backup_create(path=path, using=opts["database"])
        except BackupError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(
            _("Backed up the %(database)s database to %(path)s (%(size)s bytes, %(count)d migrations).")
            % {"database": vendor_name(info.vendor), "path": path, "size": f"{path.stat().st_size:,}",
               "count": len(info.migrations)}))

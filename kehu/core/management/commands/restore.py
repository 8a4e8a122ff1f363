"""`kehu restore FILE [--noinput]`: replace the database by a backup of `kehu backup`, all or
nothing. Asks first when the database already holds Kehu's tables. Refuses a backup of the other
database, a file that is not a Kehu backup and a backup of a newer schema. Stop the app servers
and workers first (docs/operations.md, "Backups and restore drills")."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from kehu.core.backup import BackupError, backup_restore, database_in_use, restore_check


def confirm(command, question: str) -> None:
    """Ask `question`; anything but yes cancels (and so does no terminal: use --noinput)."""
    try:
        answer = input(question + " " + _("Type “yes” to continue: "))
    except EOFError:
        answer = ""
    if answer.strip().lower() not in {"yes", "y", _("yes").lower()}:
        raise CommandError(_("Cancelled; nothing was changed."))


class Command(BaseCommand):
    help = "Replace the whole database by a backup made with `kehu backup`."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backup made by `kehu backup`")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="replace the database without asking")
        parser.add_argument("--database", default="default", help="the database alias (default: default)")

    def handle(self, *args, **opts):
        using = opts["database"]
        try:
            restore_check(path=opts["file"], using=using)  # refusals before the question
            if opts["interactive"] and database_in_use(using=using):
                name = connections[using].settings_dict["NAME"]
                confirm(self, _("Everything in the database %(name)s will be replaced by the backup %(path)s.")
                        % {"name": name, "path": opts["file"]})
            plan = backup_restore(path=opts["file"], using=using)
        except BackupError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(_("Restored %(path)s.") % {"path": opts["file"]}))
        if plan.missing:
            self.stdout.write(self.style.WARNING(
                _("The backup is of an older version of Kehu (%(count)d migrations to apply): run `kehu migrate` now.")
                % {"count": len(plan.missing)}))

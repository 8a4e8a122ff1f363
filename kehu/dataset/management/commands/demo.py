"""kehu demo: load the demo company (the shipped example plus a few extras) and print the logins."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kehu.dataset.files import DatasetError
from kehu.dataset.services import demo_company_load, demo_logins


class Command(BaseCommand):
    help = "Load the demo company (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="the address printed for logging in")

    def handle(self, *args, **opts):
        try:
            reports = demo_company_load()
        except DatasetError as exc:
            raise CommandError(exc.message) from None
        changed = sum(r.total_changes for r in reports)
        if changed:
            self.stdout.write(_("Demo company loaded: %(count)d records created or updated.") % {"count": changed})
        else:
            self.stdout.write(_("Demo company already loaded; nothing changed."))
        rows = [(_("username"), _("role"), _("password"))] + demo_logins()
        widths = [max(_width(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            self.stdout.write("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths)).rstrip())
        self.stdout.write(_("Log in at %(url)s") % {"url": opts["url"]})


def _width(text: str) -> int:
    """Display width: Chinese characters take two columns in a terminal."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))

"""kehu search rebuild: the customer search index (kehu.customers.search) rebuilt from the
customer and contact tables — on SQLite the FTS5 trigram tables and the piece table are
refilled in one transaction; on PostgreSQL the expression indexes are reindexed. The index is
kept on every write by triggers (SQLite) or by PostgreSQL itself; this is for repairs (a
restored backup of one table, say)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kehu.customers.search import rebuild


class Command(BaseCommand):
    help = "Rebuild the customer search index from the customer and contact tables."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"])

    def handle(self, *args, **opts):
        counts = rebuild()
        self.stdout.write(_("Search index rebuilt: %(customers)d customers, %(contacts)d contacts.") % counts)

"""kehu summaries rebuild [--all]: the monthly revenue summary (kehu.sales.summaries) checked
against the order lines and corrected where it differs — what `kehu daily` does every day;
`--all` recomputes every customer's rows (after restoring a backup of the lines alone, say).
The stage-entry summary (kehu.customers.summaries) is checked and corrected the same way, and
the lead-source summaries (kehu.reports.source_cells: their triggers reinstalled, then checked)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kehu.sales.summaries import revenue_months_rebuild, revenue_months_refresh


class Command(BaseCommand):
    help = "Rebuild the monthly revenue summary from the order lines."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"])
        parser.add_argument("--all", action="store_true", help="recompute every customer's rows, not only those that differ")

    def handle(self, *args, **opts):
        from kehu.customers.summaries import stage_months_rebuild, stage_months_refresh

        if opts["all"]:
            from kehu.customers.models import Customer

            cells = revenue_months_refresh(customer_ids=Customer.objects.values_list("pk", flat=True))
            self.stdout.write(_("Revenue summary rebuilt: %(count)d rows.") % {"count": cells})
            rows = stage_months_refresh(customer_ids=Customer.objects.values_list("pk", flat=True))
            self.stdout.write(_("Stage-entry summary rebuilt: %(count)d rows.") % {"count": rows})
            from kehu.reports import source_cells  # leadsrc: the lead-source summaries

            source_cells.install()
            rows = source_cells.fill()
            self.stdout.write(_("Lead-source summaries rebuilt: %(count)d rows.") % {"count": rows})
            return
        corrected = revenue_months_rebuild()
        self.stdout.write(_("Revenue summary checked: %(count)d customers corrected.") % {"count": corrected})
        corrected = stage_months_rebuild()
        self.stdout.write(_("Stage-entry summary checked: %(count)d customers corrected.") % {"count": corrected})
        from kehu.reports.source_cells import rebuild as source_cells_rebuild  # leadsrc: the lead-source summaries

        wrong = source_cells_rebuild()
        self.stdout.write(_("Lead-source summaries checked: %(count)d cells differed (rewritten).") % {"count": wrong})

"""The XLSX export of a report: the rows the page shows under the same filter and scope, in one
workbook (write-only), with a last sheet saying which filter made it. Cells as in the ranking
exports (`kehu.ranking.exports.workbook_response`): exact Decimals, money to the cent, text
escaped so a spreadsheet never runs it as a formula."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.ranking.exports import workbook_response


def _lead_source_label(code: str) -> str:
    from kehu.customers.models import Customer

    return str(Customer.LeadSource(code).label) if code in Customer.LeadSource.values else code


def filter_sheet(flt) -> tuple[str, list, list]:
    rows = [
        [_("Period"), flt.period.label, flt.period.start.isoformat(), flt.period.end.isoformat()],
        [_("Team"), flt.team.name if flt.team else _("All")],
        [_("Rep"), str(flt.rep) if flt.rep else _("All")],
        [_("Lead source"), _lead_source_label(flt.lead_source) if flt.lead_source else _("All")],
        [_("Exported by"), str(flt.reader)],
    ]
    return _("Filter"), [_("Filter"), pgettext("a filter's setting", "Value")], rows


def report_workbook(filename: str, flt, sheets: list[tuple[str, list, list]]):
    """sheets: (title, header, rows); a row is a list of (value, is_money) or plain values."""
    return workbook_response(filename, [*sheets, filter_sheet(flt)])

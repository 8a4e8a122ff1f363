"""The lead-sources report page and its XLSX export (docs/rules.md "### Lead sources")."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.reports import charts
from kehu.reports.exports import report_workbook
from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.sources import sources_report

DEFAULT_PERIOD = "quarter"


def _report(request):
    if not can_view_reports(request.user):
        raise Http404
    flt = report_filter(request, default=DEFAULT_PERIOD)
    return flt, sources_report(flt)


@login_required
def sources_view(request):
    flt, report = _report(request)
    shown = [r for r in report.sources if r.customers]
    tier_chart = charts.bar([r.label for r in shown],
                            [(label, [r.tier_counts[i] for r in shown]) for i, (_code, label) in enumerate(report.tiers)], stack=True)
    class_chart = charts.bar([r.label for r in shown],
                             [(label, [r.class_counts[i] for r in shown]) for i, (_code, label) in enumerate(report.classes)], stack=True)
    context = {
        "nav": "report-sources", "report": report, **filter_context(flt),
        "export_url": reverse("reports:sources-export"),
        "tier_chart": tier_chart, "class_chart": class_chart,
        "revenue_chart": charts.bar([r.label for r in report.sources], [(_("Revenue"), [r.revenue for r in report.sources])]),
    }
    return render(request, "reports/sources.html", context)


def _rows(rows, report):
    return [[r.label, r.customers, r.acquired, r.signed, r.conversion, r.won, (r.won_amount, True), (r.revenue, True),
             *r.tier_counts, *r.class_counts] for r in rows]


@login_required
def sources_export_view(request):
    flt, report = _report(request)
    header = [_("Lead source"), pgettext("count", "Customers"), _("Acquired in the period"), _("Signed or VIP"), _("Conversion"), _("Won deals"),
              _("Won amount"), _("Revenue"), *[str(label) for _c, label in report.tiers], *[str(label) for _c, label in report.classes]]
    sheets = [
        (_("Lead sources"), header, _rows([*report.sources, report.total], report)),
        (_("Referrers"), [_("Referrer"), *header[1:]], _rows(report.referrers, report)),
    ]
    return report_workbook(f"sources-{flt.period.label}.xlsx", flt, sheets)

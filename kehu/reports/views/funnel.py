"""The funnel report page and its XLSX export (docs/rules.md "### Funnel")."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.reports import charts
from kehu.reports.exports import report_workbook
from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.funnel import funnel_report

DEFAULT_PERIOD = "quarter"
GROUP_ROWS = 30  # rows of each group table on the page (by won amount); the export has them all


def _report(request):
    if not can_view_reports(request.user):
        raise Http404
    flt = report_filter(request, default=DEFAULT_PERIOD)
    return flt, funnel_report(flt)


@login_required
def funnel_view(request):
    flt, report = _report(request)
    context = {
        "nav": "report-funnel", "report": report, **filter_context(flt),
        "export_url": reverse("reports:funnel-export"),
        "lifecycle_chart": charts.funnel([(r.label, r.reached) for r in report.lifecycle]),
        "stages_chart": charts.funnel([(r.label, r.reached) for r in report.stages]),
        "velocity_chart": charts.bar([r.label for r in report.stages],
                                     [(_("Median days"), [r.median_days for r in report.stages]),
                                      (_("75th percentile days"), [r.p75_days for r in report.stages])]),
        "groups": [(title, key, rows[:GROUP_ROWS], len(rows) - GROUP_ROWS)
                   for title, key, rows in ((_("By rep"), "rep", report.by_rep), (_("By team"), "team", report.by_team),
                                            (_("By lead source"), "source", report.by_source))],
    }
    return render(request, "reports/funnel.html", context)


def _group_rows(rows):
    return [[g.label, g.prospects, g.signed, g.conversion, g.won, g.lost, g.win_rate, (g.won_amount, True),
             (g.deal_size, True), g.cycle_median] for g in rows]


@login_required
def funnel_export_view(request):
    flt, report = _report(request)
    life_header = [_("Lifecycle stage"), _("Customers now"), _("Reached in the period"), _("Conversion to the next stage")]
    life = [[r.label, r.now, r.reached, r.conversion] for r in report.lifecycle]
    stage_header = [_("Opportunity stage"), _("Reached in the period"), _("Conversion to the next stage"), _("Stays ended"),
                    _("Median days"), _("75th percentile days")]
    stages = [[r.label, r.reached, r.conversion, r.stays, r.median_days, r.p75_days] for r in report.stages]
    summary = [[_("Won"), report.won], [_("Lost"), report.closed_lost], [_("Win rate"), report.win_rate],
               [_("Won amount"), (report.won_amount, True)], [_("Average deal size"), (report.deal_size, True)],
               [_("Median sales cycle (days)"), report.cycle_median]]
    group_header = [_("Group"), _("Reached prospect"), _("Reached signed"), _("Conversion"), _("Won"), _("Lost"), _("Win rate"),
                    _("Won amount"), _("Average deal size"), _("Median sales cycle (days)")]
    sheets = [
        (_("Lifecycle"), life_header, life),
        (_("Opportunity stages"), stage_header, stages),
        (_("Summary"), [_("Measure"), _("Value")], summary),
        (_("By rep"), group_header, _group_rows(report.by_rep)),
        (_("By team"), group_header, _group_rows(report.by_team)),
        (_("By lead source"), group_header, _group_rows(report.by_source)),
    ]
    return report_workbook(f"funnel-{flt.period.label}.xlsx", flt, sheets)

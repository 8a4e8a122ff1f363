"""The funnel report page and its XLSX export (docs/rules.md "### Funnel")."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kehu.core.templatetags.kehu_core import money, percent
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
        "groups": [(title, key, GroupRows(rows[:GROUP_ROWS]), len(rows) - GROUP_ROWS)
                   for title, key, rows in ((_("By rep"), "rep", report.by_rep), (_("By team"), "team", report.by_team),
                                            (_("By lead source"), "source", report.by_source))],
    }
    return render(request, "reports/funnel.html", context)


def _v(value) -> str:
    """A value as the template engine writes `{{ value }}`: localized, escaped."""
    return conditional_escape(localize(value))


class GroupRows(list):
    """The rows of one group table shown, and `html`: their table rows (`group_rows_html`)."""

    @property
    def html(self) -> str:
        return group_rows_html(self)


def group_rows_html(rows) -> str:
    """The rows of one group table (templates/reports/partials/funnel_groups.html) as its loop
    wrote them, character for character ("" when there are none: the table says so): ~40 rows of
    ten cells through the template engine were a tenth of the director's page."""
    dash = "—"
    out = []
    for g in rows:
        out.append(
            f'<tr><td class="text-nowrap">{_v(g.label)}</td><td class="text-end">{_v(g.prospects)}</td><td class="text-end">{_v(g.signed)}</td>\n'
            f'    <td class="text-end">{_v(percent(g.conversion, "ratio")) or dash}</td><td class="text-end">{_v(g.won)}</td>'
            f'<td class="text-end">{_v(g.lost)}</td>\n'
            f'    <td class="text-end">{_v(percent(g.win_rate, "ratio")) or dash}</td><td class="text-end">{_v(money(g.won_amount))}</td>\n'
            f'    <td class="text-end">{_v(money(g.deal_size)) or dash}</td>'
            f'<td class="text-end">{dash if g.cycle_median is None else _v(g.cycle_median)}</td></tr>\n  '
        )
    return mark_safe("".join(out))  # noqa: S308 — every value escaped above


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

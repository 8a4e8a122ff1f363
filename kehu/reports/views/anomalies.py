"""The anomalies report (DOMAIN.md §7): for a month (default the month just ended) and a share
(default 20 %), the reps whose revenue fell under the share of their usual month and the reps
whose follow-ups of one kind did, each with a chart of the 7 months behind it; and its XLSX
export. Scope: the reader's reps (kehu.reports.filters): a rep their own, a manager their
teams', the director and finance everyone. Three queries for the numbers, whatever the number
of reps."""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.planning.errors import PlanningError
from kehu.planning.periods import parse_period, period_of
from kehu.reports import charts
from kehu.reports.anomalies import DEFAULT_SHARE
from kehu.reports.exports import report_workbook
from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.anomalies import followup_alerts, revenue_alerts

CHART_LIMIT = 12  # charts drawn on the page (the tables list every alert)
QUICK_MONTHS = 6


def _share(request, problems: list) -> Decimal:
    text = (request.GET.get("share") or "").strip()
    if not text:
        return DEFAULT_SHARE
    try:
        share = Decimal(text)
    except InvalidOperation:
        share = None
    if share is None or not share.is_finite() or not 0 < share <= 100:
        problems.append(_("The share is a percentage above 0 and at most 100."))
        return DEFAULT_SHARE
    return Decimal(int(share)) if share == share.to_integral_value() else share


def _filter(request):
    """The shared filter with the period restricted to months, defaulting to the month just
    ended (a month still running is shown when chosen, marked "so far"), and the share."""
    flt = report_filter(request, default="month", period_kinds=("month",))
    given = (request.GET.get("period") or "").strip()
    try:
        valid = bool(given) and parse_period(given, kinds=("month",)) is not None
    except PlanningError:
        valid = False
    if not valid:
        flt.period = period_of("month", flt.today).previous()
    share = _share(request, flt.problems)
    return flt, share


def _label(key) -> str:
    return f"{key[0]}-{key[1]:02d}"


def _chart(title: str, months: list, median: Decimal) -> dict:
    option = charts.line([_label(k) for k, _v in months], [(title, [v for _k, v in months])])
    option["series"][0]["markLine"] = {
        "symbol": "none", "label": {"formatter": pgettext("anomaly chart", "usual"), "position": "insideEndTop"},
        "data": [{"name": pgettext("anomaly chart", "usual"), "yAxis": str(median)}],
    }
    return option


def _report(flt, share):
    reps = list(flt.reps())
    month = flt.period.start
    revenue = revenue_alerts(month=month, share=share, reps=reps)
    followups = followup_alerts(month=month, share=share, reps=reps)
    return revenue, followups


def _query(flt, share) -> str:
    from urllib.parse import urlencode

    q = flt.query()
    return f"{q}&{urlencode({'share': share})}" if q else urlencode({"share": share})


@login_required
def anomalies(request):
    if not can_view_reports(request.user):
        raise PermissionDenied
    flt, share = _filter(request)
    revenue, followups = _report(flt, share)
    charts_ = []
    for a in revenue:
        charts_.append({"id": f"chart-revenue-{a.rep.pk}", "title": _("%(rep)s: revenue") % {"rep": a.rep},
                        "option": _chart(_("Revenue"), a.months, a.anomaly.median)})
    for a in followups:
        charts_.append({"id": f"chart-followups-{a.rep.pk}-{a.kind}", "title": _("%(rep)s: follow-ups of type “%(kind)s”") % {"rep": a.rep, "kind": a.kind_label},
                        "option": _chart(a.kind_label, a.months, a.drop.median)})
    today = flt.today
    this_month = period_of("month", today)
    quick = [this_month]
    for _i in range(QUICK_MONTHS - 1):
        quick.append(quick[-1].previous())
    context = {
        "nav": "report-anomalies", **filter_context(flt, sources=False), "filter_quick": quick,
        "share": share, "revenue": revenue, "followups": followups, "charts": charts_[:CHART_LIMIT],
        "charts_more": max(0, len(charts_) - CHART_LIMIT), "so_far": flt.period.contains(today),
        "month": flt.period.label, "extra_fields": format_html(
            '<div><label class="form-label small mb-0" for="id_share">{}</label>'
            '<input class="form-control form-control-sm" name="share" id="id_share" value="{}" size="4" inputmode="decimal"></div>',
            _("Share (%)"), share), "filter_keep": urlencode({"share": share}), "export_href": f"{reverse('reports:anomalies-export')}?{_query(flt, share)}",
    }
    return render(request, "reports/anomalies.html", context)


@login_required
def anomalies_export(request):
    if not can_view_reports(request.user):
        raise PermissionDenied
    flt, share = _filter(request)
    revenue, followups = _report(flt, share)
    month = flt.period.label
    revenue_sheet = (
        _("Revenue"),
        [_("Rep"), _("Team"), _("Month"), _("Revenue"), _("Usual (median)"), _("Ratio"), _("Share (%)")],
        [[str(a.rep), a.rep.team.name if a.rep.team_id else "", month, (a.anomaly.revenue, True), (a.anomaly.median, True),
          a.anomaly.ratio, share] for a in revenue],
    )
    followup_sheet = (
        _("Follow-ups"),
        [_("Rep"), _("Team"), _("Month"), _("Type"), _("Follow-ups"), _("Usual (median)"), _("Ratio"), _("Share (%)")],
        [[str(a.rep), a.rep.team.name if a.rep.team_id else "", month, a.kind_label, a.drop.count, a.drop.median, a.drop.ratio, share]
         for a in followups],
    )
    return report_workbook(f"anomalies-{month}.xlsx", flt, [revenue_sheet, followup_sheet])

"""Buying factors (/reports/factors/ and its XLSX export): kehu.reports.selectors.factors."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from kehu.reports.exports import report_workbook
from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.factors import export_sheets, factors_report

DEFAULT_PERIOD = "quarter"  # deals close a few a month: a quarter shows a spread


def _filter(request):
    if not can_view_reports(request.user):
        raise Http404
    return report_filter(request, default=DEFAULT_PERIOD)


@login_required
def factors_view(request):
    flt = _filter(request)
    report = factors_report(flt)
    context = {**filter_context(flt), "report": report, "export_url": reverse("reports:factors-export"), "nav": "report-factors"}
    return render(request, "reports/factors.html", context)


@login_required
def factors_export(request):
    flt = _filter(request)
    report = factors_report(flt)
    return report_workbook(f"buying-factors-{flt.period.label}.xlsx", flt, export_sheets(report))

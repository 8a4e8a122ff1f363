"""Buying factors (/reports/factors/ and its XLSX export): kehu.reports.selectors.factors."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from kehu.reports.exports import report_workbook
from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.factors import OTHER, _chart, export_sheets, factors_report

DEFAULT_PERIOD = "quarter"  # deals close a few a month: a quarter shows a spread


def _filter(request):
    if not can_view_reports(request.user):
        raise Http404
    return report_filter(request, default=DEFAULT_PERIOD)


def _report(flt):
    """The report with the industries in the reader's language: customers store an industry by
    its GB/T 4754 Chinese name (kehu.customers.industries), an English reader reads "Construction"."""
    from kehu.customers.industries import industry_label

    report = factors_report(flt)
    for d in report.dimensions:
        if d.key == "industries":
            for s in d.segments:
                if s.key != OTHER:
                    s.label = industry_label(s.key)
            d.chart = _chart(d)
    return report


@login_required
def factors_view(request):
    flt = _filter(request)
    report = _report(flt)
    context = {**filter_context(flt), "report": report, "export_url": reverse("reports:factors-export"), "nav": "report-factors"}
    return render(request, "reports/factors.html", context)


@login_required
def factors_export(request):
    flt = _filter(request)
    report = _report(flt)
    return report_workbook(f"buying-factors-{flt.period.label}.xlsx", flt, export_sheets(report))

"""What it takes (/reports/what-it-takes/): each rep's gap and the deals, qualified customers and
prospects it takes to close it at their own conversion rates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.what_it_takes import HISTORY_MONTHS, what_it_takes


@login_required
@require_GET
def what_it_takes_view(request):
    if not can_view_reports(request.user):
        raise Http404
    flt = report_filter(request, default="month", period_kinds=("month", "quarter"))
    rows = what_it_takes(flt)
    context = filter_context(flt, sources=False)
    context["filter_quick"] = [p for p in context["filter_quick"] if p.kind in ("month", "quarter")]
    return render(request, "reports/what_it_takes.html", {
        "nav": "report-what-it-takes",
        **context,
        "rows": rows,
        "history_months": HISTORY_MONTHS,
    })

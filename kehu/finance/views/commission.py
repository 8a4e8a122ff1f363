"""The commission report (DOMAIN.md §4): per rep and line by line, for a month or a period."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kehu.finance import commission
from kehu.finance.forms import PeriodForm
from kehu.finance.views.listing import PAGE_SIZE, Page, page_number, query_of


@login_required
@require_GET
def commission_view(request):
    """Per-rep totals over the whole period and one page of lines, aggregated in SQL (`commission.commission_page`)."""
    form = PeriodForm(request.GET or None)
    date_from, date_to = form.period()
    number = page_number(request.GET)
    report = commission.commission_page(user=request.user, date_from=date_from, date_to=date_to, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    page = Page(report.lines, number, PAGE_SIZE, report.has_next, report.total, False, query_of(request.GET))
    context = {
        "nav": "commission", "form": form, "date_from": date_from, "date_to": date_to, "per_rep": report.per_rep,
        "totals": report.totals, "page": page, "month": date_from.strftime("%Y-%m"),
    }
    return render(request, "finance/commission.html", context)

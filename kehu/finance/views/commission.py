"""The commission report (DOMAIN.md §4): per rep and line by line, for a month or a period."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kehu.finance import commission
from kehu.finance.forms import PeriodForm
from kehu.finance.views.listing import paginate_list


@login_required
@require_GET
def commission_view(request):
    form = PeriodForm(request.GET or None)
    date_from, date_to = form.period()
    per_rep, lines = commission.commission_report(user=request.user, date_from=date_from, date_to=date_to)
    page = paginate_list(lines, params=request.GET)
    context = {
        "nav": "commission", "form": form, "date_from": date_from, "date_to": date_to, "per_rep": per_rep,
        "totals": commission.totals_by_currency(per_rep), "page": page, "month": date_from.strftime("%Y-%m"),
    }
    return render(request, "finance/commission.html", context)

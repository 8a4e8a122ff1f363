"""The 工作台: the landing page of every role (kehu/reports/selectors/workbench.py)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from kehu.accounts.permissions import is_sales
from kehu.core.views import is_partial
from kehu.reports.permissions import can_view_workbench
from kehu.reports.selectors.workbench import workbench, workbench_anomalies


@login_required
@require_GET
def workbench_view(request):
    if not can_view_workbench(request.user):
        raise Http404
    parts = workbench(user=request.user)
    has_role = any(parts[k] is not None for k in ("rep", "manager", "director", "finance"))
    return render(request, "reports/workbench.html", {
        "nav": "workbench", "wb": parts, "has_role": has_role, "may_sell": is_sales(request.user),
    })


@login_required
@require_GET
@vary_on_headers("HX-Request")
def workbench_anomalies_view(request):
    """The 工作台's anomalies, loaded after the page (the placeholder's htmx request: the card or
    the alert alone), or a page of its own without JavaScript (the placeholder's link). 404 for a
    user whose 工作台 shows no anomalies (a rep, finance)."""
    if not can_view_workbench(request.user):
        raise Http404
    card = workbench_anomalies(user=request.user)
    if card is None:
        raise Http404
    context = {"nav": "workbench", "card": card}
    if is_partial(request):
        return render(request, "reports/workbench_anomalies.html#card", context)
    return render(request, "reports/workbench_anomalies.html", context)

"""The 工作台: the landing page of every role (kehu/reports/selectors/workbench.py)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kehu.accounts.permissions import is_sales
from kehu.reports.permissions import can_view_workbench
from kehu.reports.selectors.workbench import workbench


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

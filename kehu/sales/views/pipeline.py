"""The pipeline board: a kanban by stage (open stages with their cards, won and lost with
counts and totals), filtered by owner and closing period, and the stage move (an htmx drag or
a plain POST that comes back to the board)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from kehu.accounts.permissions import is_sales
from kehu.core.models import CompanySettings
from kehu.core.views import is_partial
from kehu.sales import services
from kehu.sales.errors import SalesError
from kehu.sales.forms import MoveForm, OpportunityFilterForm
from kehu.sales.selectors import opportunity_get_visible_or_404, pipeline_columns

BOARD = "sales/partials/board.html"
FILTER_KEYS = ("owner", "close_from", "close_to")


def _filters(request, data) -> OpportunityFilterForm:
    bound = {k: data[k] for k in FILTER_KEYS if data.get(k)}
    return OpportunityFilterForm(bound or None, user=request.user)


def _board_context(request, filters, *, message="", error=""):
    columns = pipeline_columns(user=request.user, **filters.values())
    return {
        "columns": columns,
        "open_columns": [c for c in columns if not c.stage.is_closed],
        "closed_columns": [c for c in columns if c.stage.is_closed],
        "stages": [c.stage for c in columns],
        "filters": filters,
        "filter_query": {k: filters.data.get(k, "") for k in FILTER_KEYS} if filters.is_bound else {},
        "can_move": is_sales(request.user),
        "currency": CompanySettings.load().default_currency,  # of the column totals (docs/rules.md, "Money on screen")
        "message": message,
        "error": error,
    }


@login_required
@require_GET
def pipeline_view(request):
    filters = _filters(request, request.GET)
    context = _board_context(request, filters)
    if is_partial(request):
        return render(request, BOARD, context)
    return render(request, "sales/pipeline.html", {"nav": "pipeline", **context})


def _back(request):
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("sales:pipeline")
    return redirect(target or reverse("sales:pipeline"))


@login_required
@require_POST
@vary_on_headers("HX-Request")
def opportunity_move_view(request, pk):
    opportunity = opportunity_get_visible_or_404(user=request.user, pk=pk)
    form = MoveForm(request.POST)
    message = error = ""
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            moved = services.opportunity_move(actor=request.user, opportunity=opportunity, stage=form.cleaned_data["stage"],
                                              lost_reason=form.cleaned_data["lost_reason"])
        except SalesError as exc:
            error = str(exc.message)
        except PermissionDenied:
            error = _("You may not change this opportunity.")
        else:
            message = _("%(title)s moved to %(stage)s.") % {"title": moved.title, "stage": moved.stage}
    if is_partial(request):
        return render(request, BOARD, _board_context(request, _filters(request, request.POST), message=message, error=error))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return _back(request)

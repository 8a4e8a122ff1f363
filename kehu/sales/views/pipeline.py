"""The pipeline board: a kanban by stage (open stages with their first cards and a "more" per
column, won and lost with counts and totals), filtered by owner and closing period, and the stage
move (an htmx drag or a plain POST that comes back to the board)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
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
from kehu.sales.models import OpportunityStage
from kehu.sales.selectors import BOARD_CARDS, opportunity_get_visible_or_404, pipeline_column_more, pipeline_columns

BOARD = "sales/partials/board.html"
CARDS = "sales/partials/board_cards.html"
FILTER_KEYS = ("owner", "close_from", "close_to")


def _filters(request, data) -> OpportunityFilterForm:
    bound = {k: data[k] for k in FILTER_KEYS if data.get(k)}
    return OpportunityFilterForm(bound or None, user=request.user)


def _url_of(name):
    """pk → the URL of route `name`, reversed once (not once per card)."""
    marker = "2147483647"
    head, tail = reverse(name, args=[int(marker)]).split(marker)
    return lambda pk: f"{head}{pk}{tail}"


def _with_urls(columns, stages):
    """Each card's page, its customer's page and its move URL, built from one reverse each; each
    column's stage picker options (the same for all its cards), drawn once."""
    detail, customer, move = _url_of("sales:opportunity-detail"), _url_of("customers:detail"), _url_of("sales:opportunity-move")
    for column in columns:
        column.stage_options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (s.code, " selected" if s.pk == column.stage.pk else "", str(s)) for s in stages))
        for card in column.cards:
            card.detail_url, card.customer_url, card.move_url = detail(card.pk), customer(card.customer_id), move(card.pk)
    return columns


def _filter_query(filters) -> str:
    """The board's valid filters as a query string (the "more" requests, the list links)."""
    if not filters.is_bound:
        return ""
    return urlencode({k: filters.data[k] for k in FILTER_KEYS if filters.data.get(k) and k not in filters.errors})


def _common(request, filters) -> dict:
    filter_qs = _filter_query(filters)
    return {
        "filters": filters,
        "filter_qs": filter_qs,
        "back_url": reverse("sales:pipeline") + (f"?{filter_qs}" if filter_qs else ""),
        "can_move": is_sales(request.user),
        "currency": CompanySettings.load().default_currency,  # of the column totals (docs/rules.md, "Money on screen")
        "column_url": reverse("sales:pipeline-column"),
        "list_url": reverse("sales:opportunity-list"),
        "page_size": BOARD_CARDS,
    }


def _board_context(request, filters, *, message="", error=""):
    columns = pipeline_columns(user=request.user, **filters.values())
    _with_urls(columns, [c.stage for c in columns])
    return {
        **_common(request, filters),
        "columns": columns,
        "stages": [c.stage for c in columns],
        "message": message,
        "error": error,
    }


def _owner_options(filters):
    """The owner filter's options, drawn once (empty when the user sees only themself): one query."""
    field = filters.fields["owner"]
    users = list(field.queryset.only("pk", "name", "username"))
    if len(users) < 2:
        return ""
    chosen = str(filters["owner"].value() or "")
    choices = [("", str(field.empty_label))] + [(str(u.pk), str(u)) for u in users]
    return format_html_join("", '<option value="{}"{}>{}</option>', (
        (value, " selected" if value == chosen else "", label) for value, label in choices))


@login_required
@require_GET
def pipeline_view(request):
    filters = _filters(request, request.GET)
    context = _board_context(request, filters)
    if is_partial(request):
        return render(request, BOARD, context)
    return render(request, "sales/pipeline.html", {"nav": "pipeline", "owner_options": _owner_options(filters), **context})


@login_required
@require_GET
def pipeline_column_view(request):
    """The next cards of one open column (`stage`, from `offset`) under the board's filter: the
    column's "more" (htmx), which comes back with its own "more" while cards remain."""
    stage = OpportunityStage.objects.filter(code=request.GET.get("stage", ""), is_closed=False).first()
    if stage is None:
        raise Http404
    try:
        offset = max(int(request.GET.get("offset", "")), 0)
    except ValueError:
        offset = BOARD_CARDS
    filters = _filters(request, request.GET)
    column = pipeline_column_more(user=request.user, stage=stage, offset=offset, **filters.values())
    _with_urls([column], list(OpportunityStage.objects.all()) if is_sales(request.user) else [])
    return render(request, CARDS, {**_common(request, filters), "column": column,
                                   "next_offset": offset + len(column.cards),
                                   "remaining": max(column.count - offset - len(column.cards), 0)})


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

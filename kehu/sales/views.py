"""Selling pages: the pipeline board (kanban by stage, htmx drag to move), the opportunity
list with filters, the new-opportunity form, and the stage move (htmx or a plain POST).

Every opportunity is looked up through `opportunity_list` (visible_to): hidden or missing
answer 404 alike. Who may act is decided by the services; a refusal is a message.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from kehu.accounts.permissions import can_edit_customer, is_sales
from kehu.core.models import CompanySettings
from kehu.core.money import quantize_cents
from kehu.core.pagination import paginate
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.sales import services
from kehu.sales.forms import MoveForm, OpportunityFilterForm, OpportunityForm
from kehu.sales.models import Opportunity, OpportunityStage
from kehu.sales.selectors import opportunity_list
from kehu.sales.services import SalesError

BOARD = "sales/partials/board.html"
FILTER_KEYS = ("owner", "close_from", "close_to")


@dataclass
class Column:
    stage: OpportunityStage
    cards: list = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")


def effective_probability(opportunity) -> int:
    """The rep's probability if set, else the stage's default."""
    return opportunity.probability if opportunity.probability is not None else opportunity.stage.probability


def weighted_total(opportunities) -> Decimal:
    """Σ amount × probability ÷ 100, summed exactly and rounded to the cent once."""
    return quantize_cents(sum((o.amount * effective_probability(o) / 100 for o in opportunities), Decimal(0)))


def board_columns(*, user, filters: OpportunityFilterForm) -> list[Column]:
    """Open stages with their cards; closed stages (won, lost) with counts and totals only."""
    stages = list(OpportunityStage.objects.all())
    qs = filters.apply(opportunity_list(user=user))
    columns = {s.pk: Column(stage=s) for s in stages}
    for opp in qs.filter(stage__is_closed=False).order_by("expected_close_on", "pk"):
        columns[opp.stage_id].cards.append(opp)
    for column in columns.values():
        if not column.stage.is_closed:
            column.count = len(column.cards)
            column.total = quantize_cents(sum((o.amount for o in column.cards), Decimal(0)))
            column.weighted = weighted_total(column.cards)
    closed = qs.filter(stage__is_closed=True).order_by().values("stage_id").annotate(n=Count("pk"), total=Sum("amount"))
    for row in closed:
        column = columns[row["stage_id"]]
        column.count = row["n"]
        column.total = quantize_cents(row["total"] or 0)  # Sum of a MoneyField: exact cents, handed back as Decimal
        column.weighted = quantize_cents(column.total * column.stage.probability / 100)
    return [columns[s.pk] for s in stages]


def _filters(request, data) -> OpportunityFilterForm:
    bound = {k: data[k] for k in FILTER_KEYS if data.get(k)}
    return OpportunityFilterForm(bound or None, user=request.user)


def _board_context(request, filters, *, message="", error=""):
    columns = board_columns(user=request.user, filters=filters)
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
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, BOARD, context)
    return render(request, "sales/pipeline.html", {"nav": "pipeline", **context})


def _opportunity_or_404(user, pk):
    try:
        return opportunity_list(user=user).get(pk=pk)
    except (Opportunity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _back(request):
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("sales:pipeline")
    return redirect(target or reverse("sales:pipeline"))


@login_required
@require_POST
@vary_on_headers("HX-Request")
def opportunity_move_view(request, pk):
    opportunity = _opportunity_or_404(request.user, pk)
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
    if request.htmx:
        return render(request, BOARD, _board_context(request, _filters(request, request.POST), message=message, error=error))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return _back(request)


@login_required
@require_GET
def opportunity_list_view(request):
    filters = OpportunityFilterForm(request.GET or None, user=request.user)
    qs = filters.apply(opportunity_list(user=request.user))
    page = paginate(qs, params=request.GET)
    return render(request, "sales/opportunity_list.html", {
        "nav": "opportunities", "filters": filters, "page": page, "can_create": is_sales(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create_view(request):
    customer = None
    wanted = request.GET.get("customer") or request.POST.get("customer")
    if wanted:
        customer = customer_get_visible_or_404(user=request.user, pk=wanted)
        if not can_edit_customer(request.user, customer):
            messages.warning(request, _("You may not add opportunities for this customer."))
            return redirect(reverse("customers:detail", args=[customer.pk]))
    elif not is_sales(request.user):
        raise PermissionDenied
    form = OpportunityForm(request.POST or None, user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            opp = services.opportunity_create(actor=request.user, **form.service_arguments())
        except SalesError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            form.add_error("customer", _("You may not add opportunities for this customer."))
        else:
            messages.success(request, _("Opportunity %(code)s created.") % {"code": opp.code})
            return redirect(reverse("sales:pipeline"))
    return render(request, "sales/opportunity_form.html", {"nav": "pipeline", "form": form, "customer": customer})

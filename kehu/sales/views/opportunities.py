"""Opportunity pages: the list with its filters, the new-opportunity form (from the pipeline
or from a customer's page, and back there), the opportunity page and its edit form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.accounts.permissions import is_sales
from kehu.core.errors import StaleEdit
from kehu.core.pagination import paginate
from kehu.core.views import refuse
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.sales import services
from kehu.sales.errors import SalesError
from kehu.sales.forms import MoveForm, OpportunityEditForm, OpportunityFilterForm, OpportunityForm
from kehu.sales.permissions import can_create_opportunity, can_edit_opportunity
from kehu.sales.selectors import (
    effective_probability,
    opportunity_activities,
    opportunity_get_visible_or_404,
    opportunity_list,
    opportunity_quotes,
    opportunity_stage_changes,
    stage_list,
)

ACTIVITY_LIMIT = 50
QUOTE_LIMIT = 50


@login_required
@require_GET
def opportunity_list_view(request):
    filters = OpportunityFilterForm(request.GET or None, user=request.user)
    page = paginate(opportunity_list(user=request.user, **filters.values()), params=request.GET)
    return render(request, "sales/opportunity_list.html", {
        "nav": "opportunities", "filters": filters, "page": page, "can_create": is_sales(request.user),
    })


def _next_url(request, default: str) -> str:
    """Where to go after the form: its `next` (a URL of this site only), else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create_view(request):
    """New opportunity. From a customer's page (`?customer=<id>`) the customer is chosen and the
    form goes back to that page when saved or cancelled; `next` names another page to go back to."""
    customer = None
    wanted = request.GET.get("customer") or request.POST.get("customer")
    if wanted:
        customer = customer_get_visible_or_404(user=request.user, pk=wanted)
        if not can_create_opportunity(request.user, customer):
            return refuse(request, _("You may not add opportunities for this customer."), "customers:detail", customer.pk)
    elif not is_sales(request.user):
        raise PermissionDenied
    from_customer = customer is not None and request.GET.get("customer")  # the form posts to its own URL
    back = _next_url(request, reverse("customers:detail", args=[customer.pk]) + "#tab-deals" if from_customer else reverse("sales:pipeline"))
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
            return redirect(back)
    return render(request, "sales/opportunity_form.html", {"nav": "pipeline", "form": form, "customer": customer, "back": back})


@login_required
@require_GET
def opportunity_detail_view(request, pk):
    opportunity = opportunity_get_visible_or_404(user=request.user, pk=pk)
    can_edit = can_edit_opportunity(request.user, opportunity)
    return render(request, "sales/opportunity_detail.html", {
        "nav": "opportunities", "opportunity": opportunity, "customer": opportunity.customer,
        "probability": effective_probability(opportunity),
        "changes": opportunity_stage_changes(opportunity=opportunity),
        "activities": opportunity_activities(user=request.user, opportunity=opportunity, limit=ACTIVITY_LIMIT),
        "quotes": opportunity_quotes(user=request.user, opportunity=opportunity, limit=QUOTE_LIMIT),
        "can_edit": can_edit, "stages": stage_list() if can_edit else [],
        "move_form": MoveForm(initial={"stage": opportunity.stage.code}),
    })


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit_view(request, pk):
    opportunity = opportunity_get_visible_or_404(user=request.user, pk=pk)
    if not can_edit_opportunity(request.user, opportunity):
        return refuse(request, _("You may not change this opportunity."), "sales:opportunity-detail", opportunity.pk)
    form = OpportunityEditForm(request.POST or None, opportunity=opportunity)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(actor=request.user, opportunity=opportunity, seen=form.seen, **form.service_arguments())
        except StaleEdit as exc:
            form.add_stale_error(exc)
        except SalesError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            return refuse(request, _("You may not change this opportunity."), "sales:opportunity-detail", opportunity.pk)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("sales:opportunity-detail", opportunity.pk)
    return render(request, "sales/opportunity_edit.html", {"nav": "opportunities", "opportunity": opportunity, "form": form})

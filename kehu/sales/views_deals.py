"""The opportunity page and its edit form; quotes (new, page, edit, submit, decide, sent /
accepted), the quote list and the approval inbox.

Every record is looked up through `visible_to(request.user)`: hidden or missing answer 404
alike. Who may act is decided by the services; a user who sees the record but may not act
gets a translated message and nothing changes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts.permissions import can_edit_customer
from kehu.activities.models import Activity
from kehu.core.pagination import paginate
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.sales import quotes as quote_services
from kehu.sales import services
from kehu.sales.forms import MoveForm
from kehu.sales.forms_deals import DecideForm, OpportunityEditForm, QuoteFilterForm, QuoteForm, QuoteLineFormSet, QuoteStatusForm
from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange, Product, Quote
from kehu.sales.selectors import (
    opportunity_get_visible_or_404,
    quote_approval_queue,
    quote_get_visible_or_404,
    quote_list,
)
from kehu.sales.services import SalesError
from kehu.sales.views import effective_probability

ACTIVITY_LIMIT = 50
QUOTE_LIMIT = 50


# --- opportunities ---------------------------------------------------------------------------

@login_required
@require_GET
def opportunity_detail_view(request, pk):
    opportunity = opportunity_get_visible_or_404(user=request.user, pk=pk)
    changes = list(OpportunityStageChange.objects.filter(opportunity=opportunity)
                   .select_related("from_stage", "to_stage", "user").order_by("-at", "-id"))
    activities = list(Activity.objects.visible_to(request.user).filter(opportunity=opportunity)
                      .select_related("owner", "contact").order_by("-at", "-due_on", "-id")[:ACTIVITY_LIMIT])
    quotes = list(Quote.objects.visible_to(request.user).filter(opportunity=opportunity)
                  .select_related("owner").order_by("-created_at", "-id")[:QUOTE_LIMIT])
    can_edit = services.can_edit_opportunity(request.user, opportunity)
    return render(request, "sales/opportunity_detail.html", {
        "nav": "opportunities", "opportunity": opportunity, "customer": opportunity.customer,
        "probability": effective_probability(opportunity), "changes": changes, "activities": activities, "quotes": quotes,
        "can_edit": can_edit, "stages": list(OpportunityStage.objects.all()) if can_edit else [],
        "move_form": MoveForm(initial={"stage": opportunity.stage.code}),
    })


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit_view(request, pk):
    opportunity = opportunity_get_visible_or_404(user=request.user, pk=pk)
    detail = reverse("sales:opportunity-detail", args=[opportunity.pk])
    if not services.can_edit_opportunity(request.user, opportunity):
        messages.warning(request, _("You may not change this opportunity."))
        return redirect(detail)
    form = OpportunityEditForm(request.POST or None, opportunity=opportunity)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(actor=request.user, opportunity=opportunity, **form.service_arguments())
        except SalesError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            messages.warning(request, _("You may not change this opportunity."))
            return redirect(detail)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect(detail)
    return render(request, "sales/opportunity_edit.html", {"nav": "opportunities", "opportunity": opportunity, "form": form})


# --- quotes --------------------------------------------------------------------------------------

def _products():
    return list(Product.objects.filter(is_active=True).order_by("name", "code"))


def _quote_opportunities(customer, current=None):
    """The customer's open and won opportunities (and the quote's own, even if lost since):
    those a quote may be linked to (quote_services._check_opportunity)."""
    opps = list(Opportunity.objects.filter(customer_id=customer.pk).filter(Q(stage__is_closed=False) | Q(stage__is_won=True))
                .select_related("stage").order_by("-created_at", "-id"))
    if current is not None and current.pk not in {o.pk for o in opps}:
        opps.insert(0, current)
    return opps


def _formset_errors(formset) -> bool:
    return bool(formset.non_form_errors()) or any(f.errors for f in formset.forms)


@login_required
@require_http_methods(["GET", "POST"])
def quote_create_view(request, pk):
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if not can_edit_customer(request.user, customer):
        messages.warning(request, _("You may not write quotes for this customer."))
        return redirect(reverse("customers:detail", args=[customer.pk]))
    products = _products()
    opportunities = _quote_opportunities(customer)
    initial = {}
    wanted = request.GET.get("opportunity")
    if wanted and wanted in {str(o.pk) for o in opportunities}:
        initial["opportunity"] = wanted
        initial["currency"] = next(o.currency for o in opportunities if str(o.pk) == wanted)
    form = QuoteForm(request.POST or None, opportunities=opportunities, initial=initial, customer=customer)
    formset = QuoteLineFormSet(request.POST or None, prefix="lines", form_kwargs={"products": products})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        d = form.cleaned_data
        try:
            quote = quote_services.quote_create(
                actor=request.user, customer=customer, opportunity=d["opportunity"], currency=d["currency"],
                valid_until=d["valid_until"], notes=d["notes"], lines=formset.lines(), payment_term_days=d.get("payment_term_days"),
            )
        except SalesError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            messages.warning(request, _("You may not write quotes for this customer."))
            return redirect(reverse("customers:detail", args=[customer.pk]))
        else:
            messages.success(request, _("Quote %(code)s saved as a draft.") % {"code": quote.code})
            return redirect(reverse("sales:quote-detail", args=[quote.pk]))
    return render(request, "sales/quote_form.html", {
        "nav": "quotes", "customer": customer, "form": form, "formset": formset, "prices": {str(p.pk): str(p.list_price) for p in products}, "quote": None,
    })


@login_required
@require_GET
def quote_detail_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    lines = list(quote.lines.select_related("product"))
    can_edit = quote_services.can_edit_quote(request.user, quote)
    return render(request, "sales/quote_detail.html", {
        "nav": "quotes", "quote": quote, "customer": quote.customer, "lines": lines,
        "can_edit": can_edit and quote.status in quote_services.EDITABLE_STATUSES,
        "can_submit": can_edit and quote.status in quote_services.EDITABLE_STATUSES,
        "can_decide": quote.status == Quote.Status.PENDING and quote_services.can_decide_quote(request.user, quote),
        "can_mark_sent": can_edit and quote.status == Quote.Status.APPROVED,
        "can_mark_accepted": can_edit and quote.status == Quote.Status.SENT,
        # who may create contracts is who may edit the customer (kehu.finance.contracts.can_create_contract)
        "can_create_contract": can_edit and quote.status in quote_services.CONTRACT_STATUSES,
        "over_policy": quote.max_discount_pct > quote.allowed_discount_pct if quote.submitted_at else None,
        "decide_form": DecideForm(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    detail = reverse("sales:quote-detail", args=[quote.pk])
    if not quote_services.can_edit_quote(request.user, quote):
        messages.warning(request, _("You may not change this quote."))
        return redirect(detail)
    if quote.status not in quote_services.EDITABLE_STATUSES:
        messages.warning(request, _("Only a draft or rejected quote can be changed."))
        return redirect(detail)
    products = _products()
    lines = list(quote.lines.select_related("product"))
    for ln in lines:  # a product no longer sold stays choosable on the lines that have it
        if ln.product.pk not in {p.pk for p in products}:
            products.append(ln.product)
    opportunities = _quote_opportunities(quote.customer, quote.opportunity)
    form = QuoteForm(request.POST or None, opportunities=opportunities, lock_currency=True, customer=quote.customer, initial={
        "opportunity": quote.opportunity_id or "", "valid_until": quote.valid_until, "notes": quote.notes,
        "payment_term_days": quote.payment_term_days,
    })
    formset = QuoteLineFormSet(request.POST or None, prefix="lines", form_kwargs={"products": products}, initial=[
        {"product": ln.product_id, "quantity": ln.quantity, "unit_price": ln.unit_price, "discount_pct": ln.discount_pct}
        for ln in lines
    ])
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        d = form.cleaned_data
        try:
            quote_services.quote_update(actor=request.user, quote=quote, opportunity=d["opportunity"], valid_until=d["valid_until"],
                                        notes=d["notes"], lines=formset.lines(), payment_term_days=d.get("payment_term_days"))
        except SalesError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            messages.warning(request, _("You may not change this quote."))
            return redirect(detail)
        else:
            messages.success(request, _("Quote saved."))
            return redirect(detail)
    return render(request, "sales/quote_form.html", {
        "nav": "quotes", "customer": quote.customer, "form": form, "formset": formset, "prices": {str(p.pk): str(p.list_price) for p in products}, "quote": quote,
    })


def _act(request, quote, action, success):
    """Run a quote service; its refusal becomes a message. Back to the quote page either way."""
    try:
        action()
    except SalesError as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        messages.warning(request, _("You may not do this on this quote."))
    else:
        messages.success(request, success)
    return redirect(reverse("sales:quote-detail", args=[quote.pk]))


@login_required
@require_POST
def quote_submit_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    try:
        quote = quote_services.quote_submit(actor=request.user, quote=quote)
    except SalesError as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        messages.warning(request, _("You may not do this on this quote."))
    else:
        if quote.status == Quote.Status.APPROVED:
            messages.success(request, quote_services.submit_message(quote))
        else:
            messages.info(request, quote_services.submit_message(quote))
    return redirect(reverse("sales:quote-detail", args=[quote.pk]))


@login_required
@require_POST
def quote_decide_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or reject."))
        return redirect(reverse("sales:quote-detail", args=[quote.pk]))
    approve = form.cleaned_data["decision"] == "approve"
    return _act(
        request, quote,
        lambda: quote_services.quote_decide(actor=request.user, quote=quote, approve=approve, comment=form.cleaned_data["comment"]),
        _("Quote approved.") if approve else _("Quote rejected."),
    )


@login_required
@require_POST
def quote_status_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    form = QuoteStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect(reverse("sales:quote-detail", args=[quote.pk]))
    if form.cleaned_data["status"] == "sent":
        return _act(request, quote, lambda: quote_services.quote_mark_sent(actor=request.user, quote=quote), _("Quote marked sent."))
    return _act(request, quote, lambda: quote_services.quote_mark_accepted(actor=request.user, quote=quote), _("Quote marked accepted."))


@login_required
@require_GET
def quote_list_view(request):
    filters = QuoteFilterForm(request.GET or None)
    qs = quote_list(user=request.user, status=filters.chosen_status() if filters.is_bound else "")
    page = paginate(qs, params=request.GET)
    return render(request, "sales/quote_list.html", {"nav": "quotes", "filters": filters, "page": page})


@login_required
@require_GET
def quote_approvals_view(request):
    user = request.user
    may_decide = user.is_admin_role or user.is_manager
    page = paginate(quote_approval_queue(user=user), params=request.GET) if may_decide else None
    return render(request, "sales/approval_inbox.html", {"nav": "approvals", "page": page, "may_decide": may_decide})

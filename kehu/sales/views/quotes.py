"""Quote pages: new (from a customer's page or an opportunity), the quote page, edit, submit,
decide (approve or reject), sent / accepted, the quote list and the approval inbox."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.errors import StaleEdit
from kehu.core.pagination import paginate
from kehu.core.views import refuse
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.sales import services
from kehu.sales.errors import SalesError
from kehu.sales.forms import DecideForm, QuoteFilterForm, QuoteForm, QuoteLineFormSet, QuoteStatusForm
from kehu.sales.lines import clean_lines, lines_text
from kehu.sales.models import Quote
from kehu.sales.permissions import can_create_quote, can_decide_quote, can_edit_quote
from kehu.sales.selectors import (
    products_for_sale,
    quote_approval_queue,
    quote_get_visible_or_404,
    quote_lines,
    quote_list,
    quote_opportunities,
)


def _form_context(*, customer, form, formset, products, quote) -> dict:
    return {
        "nav": "quotes", "customer": customer, "form": form, "formset": formset, "quote": quote,
        "prices": {str(p.pk): str(p.list_price) for p in products},
        "policy": form.policy, "discount_source": form.discount_source, "term_source": form.term_source,
    }


@login_required
@require_http_methods(["GET", "POST"])
def quote_create_view(request, pk):
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if not can_create_quote(request.user, customer):
        return refuse(request, _("You may not write quotes for this customer."), "customers:detail", customer.pk)
    products = products_for_sale()
    opportunities = quote_opportunities(customer=customer)
    initial = {}
    wanted = request.GET.get("opportunity")
    if wanted and wanted in {str(o.pk) for o in opportunities}:
        initial["opportunity"] = wanted
        initial["currency"] = next(o.currency for o in opportunities if str(o.pk) == wanted)
    form = QuoteForm(request.POST or None, opportunities=opportunities, initial=initial, customer=customer)
    formset = QuoteLineFormSet(request.POST or None, prefix="lines", form_kwargs={"products": products})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            quote = services.quote_create(actor=request.user, customer=customer, lines=formset.lines(), **form.service_arguments())
        except SalesError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            return refuse(request, _("You may not write quotes for this customer."), "customers:detail", customer.pk)
        else:
            messages.success(request, _("Quote %(code)s saved as a draft.") % {"code": quote.code})
            return redirect("sales:quote-detail", quote.pk)
    return render(request, "sales/quote_form.html",
                  _form_context(customer=customer, form=form, formset=formset, products=products, quote=None))


@login_required
@require_GET
def quote_detail_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    can_edit = can_edit_quote(request.user, quote)
    return render(request, "sales/quote_detail.html", {
        "nav": "quotes", "quote": quote, "customer": quote.customer, "lines": quote_lines(quote=quote),
        "can_edit": can_edit and quote.status in services.EDITABLE_STATUSES,
        "can_submit": can_edit and quote.status in services.EDITABLE_STATUSES,
        "can_decide": quote.status == Quote.Status.PENDING and can_decide_quote(request.user, quote),
        "can_mark_sent": can_edit and quote.status == Quote.Status.APPROVED,
        "can_mark_accepted": can_edit and quote.status == Quote.Status.SENT,
        # who may create contracts is who may edit the customer (kehu.finance.permissions.can_create_contract)
        "can_create_contract": can_edit and quote.status in services.CONTRACT_STATUSES,
        "over_policy": quote.max_discount_pct > quote.allowed_discount_pct if quote.submitted_at else None,
        "decide_form": DecideForm(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    if not can_edit_quote(request.user, quote):
        return refuse(request, _("You may not change this quote."), "sales:quote-detail", quote.pk)
    if quote.status not in services.EDITABLE_STATUSES:
        return refuse(request, _("Only a draft or rejected quote can be changed."), "sales:quote-detail", quote.pk)
    lines = quote_lines(quote=quote)
    products = products_for_sale(include=[ln.product for ln in lines])
    opportunities = quote_opportunities(customer=quote.customer, current=quote.opportunity)
    form = QuoteForm(request.POST or None, opportunities=opportunities, lock_currency=True, customer=quote.customer, quote=quote,
                     initial={"opportunity": quote.opportunity_id or "", "valid_until": quote.valid_until, "notes": quote.notes,
                              "payment_term_days": quote.payment_term_days})
    formset = QuoteLineFormSet(request.POST or None, prefix="lines", form_kwargs={"products": products}, initial=_line_initial(lines))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.quote_update(actor=request.user, quote=quote, lines=formset.lines(), seen=form.seen, **form.service_arguments())
        except StaleEdit as exc:
            seen_lines = (form.seen or {}).get("lines_text")
            form.add_stale_error(exc)
            if seen_lines is not None and _lines_text(formset, quote) == seen_lines:
                # the user left the lines as they were: show the lines as they are now
                lines = quote_lines(quote=quote)
                formset = QuoteLineFormSet(prefix="lines", form_kwargs={"products": products_for_sale(include=[ln.product for ln in lines])},
                                           initial=_line_initial(lines))
        except SalesError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            return refuse(request, _("You may not change this quote."), "sales:quote-detail", quote.pk)
        else:
            messages.success(request, _("Quote saved."))
            return redirect("sales:quote-detail", quote.pk)
    return render(request, "sales/quote_form.html",
                  _form_context(customer=quote.customer, form=form, formset=formset, products=products, quote=quote))


def _line_initial(lines) -> list[dict]:
    return [{"product": ln.product_id, "quantity": ln.quantity, "unit_price": ln.unit_price, "discount_pct": ln.discount_pct}
            for ln in lines]


def _lines_text(formset, quote) -> str | None:
    """The posted lines as `Quote.lines_text` writes them (None when they do not check)."""
    try:
        return lines_text(clean_lines(formset.lines(), currency=quote.currency))
    except SalesError:
        return None


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
    return redirect("sales:quote-detail", quote.pk)


@login_required
@require_POST
def quote_submit_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    try:
        quote = services.quote_submit(actor=request.user, quote=quote)
    except SalesError as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        messages.warning(request, _("You may not do this on this quote."))
    else:
        if quote.status == Quote.Status.APPROVED:
            messages.success(request, services.submit_message(quote))
        else:
            messages.info(request, services.submit_message(quote))
    return redirect("sales:quote-detail", quote.pk)


@login_required
@require_POST
def quote_decide_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or reject."))
        return redirect("sales:quote-detail", quote.pk)
    approve = form.cleaned_data["decision"] == "approve"
    return _act(
        request, quote,
        lambda: services.quote_decide(actor=request.user, quote=quote, approve=approve, comment=form.cleaned_data["comment"]),
        _("Quote approved.") if approve else _("Quote rejected."),
    )


@login_required
@require_POST
def quote_status_view(request, pk):
    quote = quote_get_visible_or_404(user=request.user, pk=pk)
    form = QuoteStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("sales:quote-detail", quote.pk)
    if form.cleaned_data["status"] == "sent":
        return _act(request, quote, lambda: services.quote_mark_sent(actor=request.user, quote=quote), _("Quote marked sent."))
    return _act(request, quote, lambda: services.quote_mark_accepted(actor=request.user, quote=quote), _("Quote marked accepted."))


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

"""Payments: record one (and see how it was applied), the payments list, a payment's page,
reversing one (红冲) on a confirmation page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.pagination import paginate
from kehu.core.views import get_visible_or_404, refuse
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.finance import selectors, services
from kehu.finance.errors import FinanceError, OverpaymentError
from kehu.finance.forms import PaymentFilterForm, PaymentForm, ReversalForm
from kehu.finance.permissions import can_record_payment, can_reverse_payment
from kehu.finance.views.listing import PAGE_SIZE



def _reverse_refused() -> str:
    return _("Only finance and administrators reverse payments.")


@login_required
@require_http_methods(["GET", "POST"])
def payment_create_view(request, pk):
    """Record a payment. One above what is open on what it names comes back with a warning that
    names the open amount and a "record it anyway" box (the service refuses it unless ticked)."""
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if not can_record_payment(request.user, customer):
        return refuse(request, _("Only finance, administrators and the managers of the customer's owner record payments."),
                      "customers:detail", pk=customer.pk)
    recorded = over = None
    if request.method == "POST":
        form = PaymentForm(request.POST, customer=customer)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = services.payment_record(
                    actor=request.user, customer=customer, amount=data["amount"], paid_on=data["paid_on"],
                    contract=data.get("contract"), seq=data.get("seq"), receivable=data.get("receivable"), code=data.get("code") or None,
                    allow_overpayment=data.get("confirm_over_open", False),
                )
            except OverpaymentError as exc:
                over = exc
            except FinanceError as exc:
                form.add_error(None, str(exc))
            except PermissionDenied:
                form.add_error(None, _("You may not record payments of this customer."))
            else:
                messages.success(request, _("Payment %(code)s recorded.") % {"code": payment.code})
                return redirect(reverse("finance:payment-create", kwargs={"pk": customer.pk}) + f"?payment={payment.pk}")
    else:
        initial = {}
        receivable_id = request.GET.get("receivable")
        if receivable_id and receivable_id.isdigit():
            initial["receivable"] = receivable_id
        form = PaymentForm(initial=initial, customer=customer)
        payment_id = request.GET.get("payment")
        if payment_id and payment_id.isdigit():
            recorded = selectors.payment_list(user=request.user, customer_id=customer.pk, with_allocations=True).filter(pk=payment_id).first()
    return render(request, "finance/payment_form.html", {
        "nav": "payments", "customer": customer, "form": form, "recorded": recorded, "over": over,
    })


@login_required
@require_GET
def payment_list_view(request):
    form = PaymentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.payment_list(user=request.user, text=data.get("q") or "", date_from=data.get("date_from"), date_to=data.get("date_to"))
    page = paginate(qs.values_list("pk", flat=True), params=request.GET, page_size=PAGE_SIZE)
    page.rows = selectors.payments_by_ids(page.rows)
    return render(request, "finance/payment_list.html", {"nav": "payments", "form": form, "page": page, "totals": selectors.payment_totals(qs)})


@login_required
@require_GET
def payment_detail_view(request, pk):
    payment = get_visible_or_404(selectors.payment_list(user=request.user, with_allocations=True), pk=pk)
    return render(request, "finance/payment_detail.html", {
        "nav": "payments", "payment": payment, "customer": payment.customer,
        "can_reverse": not payment.is_reversed and can_reverse_payment(request.user, payment),
    })


@login_required
@require_http_methods(["GET", "POST"])
def payment_reverse_view(request, pk):
    """The confirmation page of a reversal: what comes off where, and the reason; POST reverses."""
    payment = get_visible_or_404(selectors.payment_list(user=request.user, with_allocations=True), pk=pk)
    if not can_reverse_payment(request.user, payment):
        return refuse(request, _reverse_refused(), "finance:payment-detail", pk=payment.pk)
    if payment.is_reversed:
        return refuse(request, _("Payment %(code)s was reversed already.") % {"code": payment.code}, "finance:payment-detail", pk=payment.pk)
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_reverse(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
        except FinanceError as exc:
            form.add_error(None, str(exc))
        except PermissionDenied:
            return refuse(request, _reverse_refused(), "finance:payment-detail", pk=payment.pk)
        else:
            messages.success(request, _("Payment %(code)s reversed.") % {"code": payment.code})
            return redirect("finance:payment-detail", pk=payment.pk)
    return render(request, "finance/payment_reverse.html", {"nav": "payments", "payment": payment, "customer": payment.customer, "form": form})

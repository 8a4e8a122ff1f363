"""Finance pages: record a payment, the payments list, receivables aging, a receivable's page,
write-offs and commission.

Every record is fetched through `visible_to(request.user)`: hidden and missing answer 404
alike. Who may act is decided by the services (`can_record_payment`, `can_write_off`); a
refusal of someone who can see the record is a message, never a 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.pagination import Page
from kehu.core.pagination import paginate
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.finance import aging, commission, services
from kehu.finance.forms import AsOfForm, PaymentFilterForm, PaymentForm, PeriodForm, WriteOffForm
from kehu.finance.models import Payment, Receivable
from kehu.finance.services import FinanceError

PAGE_SIZE = 50


def paginate_list(rows: list, *, params, page_size: int = PAGE_SIZE) -> Page:
    """`core.pagination.paginate` for a list already computed (aging rows, commission lines)."""
    try:
        number = max(1, int(params.get("page", 1)))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * page_size
    shown = rows[start : start + page_size]
    query = {k: params.get(k) for k in params}
    return Page(shown, number, page_size, len(rows) > start + page_size, len(rows), False, query)


def _receivable_or_404(user, pk) -> Receivable:
    try:
        return Receivable.objects.visible_to(user).select_related("customer", "customer__owner", "order", "order__owner").get(pk=pk)
    except (Receivable.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- payments ---------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def payment_create_view(request, pk):
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    may = services.can_record_payment(request.user, customer)
    if not may:
        messages.error(request, _("Only finance, administrators and the managers of the customer's owner record payments."))
        return redirect("customers:detail", pk=customer.pk)
    recorded = None
    if request.method == "POST":
        form = PaymentForm(request.POST, customer=customer)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = services.payment_record(
                    actor=request.user, customer=customer, amount=data["amount"], paid_on=data["paid_on"],
                    contract=data.get("contract"), seq=data.get("seq"), receivable=data.get("receivable"), code=data.get("code") or None,
                )
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
            recorded = (
                Payment.objects.visible_to(request.user).filter(customer=customer, pk=payment_id)
                .select_related("contract", "receivable", "receivable__order").prefetch_related("allocations__instalment", "allocations__receivable__order")
                .first()
            )
    return render(request, "finance/payment_form.html", {"nav": "payments", "customer": customer, "form": form, "recorded": recorded})


def _payment_filters(qs, form):
    if not form.is_valid():
        return qs
    data = form.cleaned_data
    if data.get("q"):
        text = data["q"].strip()
        qs = qs.filter(Q(customer__name__icontains=text) | Q(customer__code__icontains=text) | Q(code__icontains=text))
    if data.get("date_from"):
        qs = qs.filter(paid_on__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(paid_on__lte=data["date_to"])
    return qs


@login_required
@require_GET
def payment_list_view(request):
    form = PaymentFilterForm(request.GET or None)
    qs = _payment_filters(Payment.objects.visible_to(request.user), form)
    totals = list(qs.order_by().values("currency").annotate(total=Sum("amount"), on_account=Sum("on_account")).order_by("currency"))
    page = paginate(
        qs.select_related("customer", "contract", "receivable", "receivable__order", "recorded_by").order_by("-paid_on", "-pk"),
        params=request.GET, page_size=PAGE_SIZE,
    )
    return render(request, "finance/payment_list.html", {"nav": "payments", "form": form, "page": page, "totals": totals})


# --- receivables ------------------------------------------------------------------------------

@login_required
@require_GET
def aging_view(request):
    form = AsOfForm(request.GET or None)
    report = aging.aging_report(user=request.user, as_of=form.as_of_day())
    page = paginate_list(report.customers, params=request.GET)
    aging.fill_customers(page.rows, user=request.user)
    return render(request, "finance/aging.html", {"nav": "receivables", "form": form, "report": report, "page": page})


@login_required
@require_GET
def receivable_detail_view(request, pk):
    receivable = _receivable_or_404(request.user, pk)
    form = AsOfForm(request.GET or None)
    as_of = form.as_of_day()
    context = {
        "nav": "receivables",
        "receivable": receivable,
        "customer": receivable.customer,
        "as_of": as_of,
        "days_overdue": aging.days_overdue(receivable.due_on, as_of),
        "bucket": aging.bucket_of(receivable.due_on, as_of),
        "allocations": list(receivable.allocations.select_related("payment").order_by("payment__paid_on", "pk")),
        "write_offs": list(receivable.write_offs.select_related("user").order_by("written_on", "pk")),
        "can_record_payment": services.can_record_payment(request.user, receivable.customer),
        "can_write_off": services.can_write_off(request.user),
    }
    return render(request, "finance/receivable_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def receivable_writeoff_view(request, pk):
    """Two steps: the form, then a confirmation page (`confirm=1` with the same values) that writes."""
    receivable = _receivable_or_404(request.user, pk)
    if not services.can_write_off(request.user):
        messages.error(request, _("Only finance and administrators write off receivables."))
        return redirect("finance:receivable-detail", pk=receivable.pk)
    confirming = False
    if request.method == "POST":
        form = WriteOffForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if data["amount"] > receivable.open_amount:
                form.add_error("amount", _("At most the open amount %(open)s can be written off.") % {"open": receivable.open_amount})
            elif request.POST.get("confirm") == "1" and request.POST.get("step") == "confirm":
                try:
                    services.writeoff_record(
                        actor=request.user, receivable=receivable, amount=data["amount"], written_on=data["written_on"], reason=data["reason"],
                    )
                except FinanceError as exc:
                    form.add_error(None, str(exc))
                except PermissionDenied:
                    form.add_error(None, _("Only finance and administrators write off receivables."))
                else:
                    messages.success(request, _("Written off %(amount)s.") % {"amount": data["amount"]})
                    return redirect("finance:receivable-detail", pk=receivable.pk)
            else:
                confirming = True
    else:
        form = WriteOffForm(initial={"amount": receivable.open_amount})
    template = "finance/writeoff_confirm.html" if confirming else "finance/writeoff_form.html"
    return render(request, template, {"nav": "receivables", "receivable": receivable, "customer": receivable.customer, "form": form})


# --- commission -------------------------------------------------------------------------------

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

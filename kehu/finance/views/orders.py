"""Sales orders: create, list, a page each, confirm (credit control), ship, release a hold;
the list of orders held by credit control."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.pagination import paginate
from kehu.core.views import get_visible_or_404, refuse
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.finance import selectors, services
from kehu.finance.errors import FinanceError
from kehu.finance.forms_orders import OrderFilterForm, OrderForm, OrderLineFormSet, ReleaseForm, ShipForm
from kehu.finance.models import CreditEvent
from kehu.finance.permissions import can_create_order, can_edit_order, can_release_order
from kehu.sales.models import Product, SalesOrder


@login_required
@require_http_methods(["GET", "POST"])
def order_create_view(request, pk):
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if not can_create_order(request.user, customer):
        return refuse(request, _("You may not write orders for this customer."), "customers:detail", pk=customer.pk)
    products = list(Product.objects.filter(is_active=True).order_by("code"))
    contracts = list(selectors.contract_list(user=request.user, customer_id=customer.pk).order_by("-signed_on", "-id")[:100])
    initial = {"order_date": timezone.localdate()}
    wanted = request.GET.get("contract")
    chosen = next((c for c in contracts if str(c.pk) == wanted), None) if wanted else None
    if chosen is not None:
        initial.update(contract=str(chosen.pk), currency=chosen.currency)
    form = OrderForm(request.POST or None, contracts=contracts, initial=initial)
    formset = OrderLineFormSet(request.POST or None, prefix="lines", form_kwargs={"products": products})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        d = form.cleaned_data
        try:
            order = services.order_create(actor=request.user, customer=customer, contract=d["contract"], order_date=d["order_date"],
                                          currency=d["currency"], lines=formset.lines())
        except FinanceError as exc:
            form.add_error(None, str(exc))
        except PermissionDenied:
            return refuse(request, _("You may not write orders for this customer."), "customers:detail", pk=customer.pk)
        else:
            messages.success(request, _("Order %(code)s saved as a draft.") % {"code": order.code})
            return redirect(reverse("finance:order-detail", args=[order.pk]))
    return render(request, "finance/order_form.html", {
        "nav": "orders", "customer": customer, "form": form, "formset": formset,
        "prices": {str(p.pk): str(p.list_price) for p in products},
    })


@login_required
@require_GET
def order_detail_view(request, pk):
    order = get_visible_or_404(selectors.order_list(user=request.user), pk=pk)
    lines = selectors.order_lines(order)
    revenue = sum((li.revenue for li in lines), Decimal("0.00"))
    cost = sum((li.cost for li in lines), Decimal("0.00"))
    user = request.user
    may_edit = can_edit_order(user, order)
    return render(request, "finance/order_detail.html", {
        "nav": "orders", "order": order, "customer": order.customer, "lines": lines, "revenue": revenue, "cost": cost,
        "margin": revenue - cost, "events": selectors.order_credit_events(order),
        "credit_use": services.credit_use(order.customer, today=timezone.localdate()),
        "receivables": selectors.order_receivables(order),
        "can_confirm": may_edit and order.status == SalesOrder.Status.DRAFT,
        "can_ship": may_edit and order.status == SalesOrder.Status.CONFIRMED,
        "can_release": order.status == SalesOrder.Status.BLOCKED and can_release_order(user, order),
        "ship_form": ShipForm(initial={"shipped_on": timezone.localdate()}), "release_form": ReleaseForm(),
    })


def _order_action(request, order, action, success: str):
    try:
        action()
    except FinanceError as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        messages.warning(request, _("You may not do this on this order."))
    else:
        messages.success(request, success)
    return redirect("finance:order-detail", pk=order.pk)


@login_required
@require_POST
def order_confirm_view(request, pk):
    """Confirm a draft. A hold by credit control is a normal outcome: a warning with the reasons."""
    order = get_visible_or_404(selectors.order_list(user=request.user), pk=pk)
    try:
        confirmed = services.order_confirm(actor=request.user, order=order)
    except FinanceError as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        messages.warning(request, _("You may not do this on this order."))
    else:
        if confirmed.status == SalesOrder.Status.BLOCKED:
            event = CreditEvent.objects.filter(order_id=order.pk, kind=CreditEvent.Kind.BLOCK).order_by("-at", "-id").first()
            reasons = [services.reason_text(r.get("code", ""), r) for r in (event.details or {}).get("reasons", [])] if event else []
            messages.warning(request, " ".join([
                _("Order %(code)s is held by credit control; finance or a manager may release it.") % {"code": order.code}, *reasons]))
        else:
            messages.success(request, _("Order %(code)s confirmed.") % {"code": order.code})
    return redirect("finance:order-detail", pk=order.pk)


@login_required
@require_POST
def order_ship_view(request, pk):
    order = get_visible_or_404(selectors.order_list(user=request.user), pk=pk)
    form = ShipForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for e in form.errors.get("shipped_on", [])]
        messages.error(request, " ".join([_("Give the shipping date."), *errors]))
        return redirect("finance:order-detail", pk=order.pk)
    if order.contract_id:
        done = _("Order %(code)s shipped; it is billed through the payment plan of contract %(contract)s.") % {
            "code": order.code, "contract": order.contract.code}
    else:
        done = _("Order %(code)s shipped; its receivable is issued.") % {"code": order.code}
    return _order_action(
        request, order, lambda: services.order_ship(actor=request.user, order=order, shipped_on=form.cleaned_data["shipped_on"]), done,
    )


@login_required
@require_POST
def order_release_view(request, pk):
    order = get_visible_or_404(selectors.order_list(user=request.user), pk=pk)
    form = ReleaseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _order_action(
        request, order, lambda: services.order_release(actor=request.user, order=order, reason=reason),
        _("Order %(code)s released.") % {"code": order.code},
    )


@login_required
@require_GET
def order_list_view(request):
    filters = OrderFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status") if filters.is_valid() else None
    page = paginate(selectors.order_page_ids(user=request.user, status=status), params=request.GET)
    page.rows = selectors.orders_by_ids(page.rows)
    return render(request, "finance/order_list.html", {"nav": "orders", "filters": filters, "page": page})


@login_required
@require_GET
def credit_holds_view(request):
    """Orders held by credit control (finance, managers, admins see what they may release)."""
    page = paginate(selectors.order_page_ids(user=request.user, status=SalesOrder.Status.BLOCKED), params=request.GET)
    page.rows = selectors.orders_by_ids(page.rows)
    return render(request, "finance/credit_holds.html", {"nav": "credit-holds", "page": page})

"""Contracts with payment plans, sales orders, shipping and credit holds.

Every record is looked up through `visible_to(request.user)`: hidden or missing answer 404
alike. Who may act is decided by the services; a user who sees the record but may not act
gets a translated message and nothing changes.
"""

import calendar
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.pagination import paginate
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.finance import contracts as contract_services
from kehu.finance import orders as order_services
from kehu.finance.credit import can_release_order, reason_text
from kehu.finance.forms_orders import (
    ContractForm,
    InstalmentFormSet,
    OrderFilterForm,
    OrderForm,
    OrderLineFormSet,
    ReleaseForm,
    ShipForm,
)
from kehu.finance.models import CreditEvent, Instalment, PaymentAllocation, Receivable
from kehu.finance.services import FinanceError
from kehu.sales.models import Contract, Opportunity, OrderLine, Product, Quote, SalesOrder

SPLIT_MAX = 60


def _get_visible(model, user, pk, *related):
    try:
        return model.objects.visible_to(user).select_related("customer", *related).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- contracts -------------------------------------------------------------------------------

def _contract_sources(user, customer):
    opportunities = list(Opportunity.objects.visible_to(user).filter(customer_id=customer.pk, stage__is_won=True).order_by("-id"))
    quotes = list(Quote.objects.visible_to(user).filter(customer_id=customer.pk, status__in=contract_services.CONTRACT_QUOTE_STATUSES)
                  .order_by("-id"))
    return opportunities, quotes


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _split_initial(amount: Decimal, count: int, first_due: date) -> list[dict]:
    parts = contract_services.split_evenly(amount, min(max(count, 1), SPLIT_MAX))
    return [{"due_on": add_months(first_due, n), "amount": a} for n, a in enumerate(parts)]


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


CARRIED = ("quote", "opportunity", "source", "signed_on", "amount", "currency", "payment_term_days")


def _contract_initial(params, opportunities, quotes) -> dict:
    """The contract form's initial values from the query: the source (`source=q12`, or `quote=` /
    `opportunity=` from a link), and the signing date, amount, currency and payment term the
    "Split evenly" form carries along, so that splitting keeps what was chosen. Values that do not
    parse are left out. `_source` is the chosen quote or opportunity."""
    from kehu.core.money import CURRENCIES

    today = timezone.localdate()
    initial = {"signed_on": today}
    sources = {f"q{q.pk}": q for q in quotes} | {f"o{o.pk}": o for o in opportunities}
    wanted = params.get("source") or (f"q{params['quote']}" if params.get("quote") else "") or (
        f"o{params['opportunity']}" if params.get("opportunity") else "")
    if wanted in sources:
        initial["source"], initial["_source"] = wanted, sources[wanted]
    try:
        signed_on = date.fromisoformat(params.get("signed_on") or "")
    except ValueError:
        signed_on = None
    if signed_on is not None and 1900 <= signed_on.year <= 9000:
        initial["signed_on"] = signed_on
    try:
        amount = Decimal((params.get("amount") or "").strip())
    except ArithmeticError:
        amount = None
    if amount is not None and amount.is_finite() and Decimal("0") < amount < Decimal("1e14") and amount == amount.quantize(Decimal("0.01")):
        initial["amount"] = amount
    if params.get("currency") in CURRENCIES:
        initial["currency"] = params["currency"]
    term = _int(params.get("payment_term_days"))
    if term is not None and 0 <= term <= 3650:
        initial["payment_term_days"] = term
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def contract_create_view(request, pk):
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if not contract_services.can_create_contract(request.user, customer):
        messages.warning(request, _("You may not write contracts for this customer."))
        return redirect(reverse("customers:detail", args=[customer.pk]))
    opportunities, quotes = _contract_sources(request.user, customer)
    initial = _contract_initial(request.GET, opportunities, quotes)
    source = initial.pop("_source", None)
    default_amount = (source.total if isinstance(source, Quote) else source.amount) if source is not None else None
    target_amount = initial.get("amount") or default_amount
    form = ContractForm(request.POST or None, opportunities=opportunities, quotes=quotes, initial=initial, customer=customer)
    plan_initial = None
    if request.method == "GET":
        count = _int(request.GET.get("split"), 1)
        if target_amount:
            plan_initial = _split_initial(target_amount, count, initial["signed_on"])
        else:
            plan_initial = [{"due_on": add_months(initial["signed_on"], n)} for n in range(min(max(count, 1), SPLIT_MAX))]
    formset = InstalmentFormSet(request.POST or None, prefix="plan", initial=plan_initial)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            contract = contract_services.contract_create(
                actor=request.user, customer=customer, instalments=formset.instalments(), **form.service_arguments(),
            )
        except FinanceError as exc:
            form.add_error(None, str(exc))
        except PermissionDenied:
            messages.warning(request, _("You may not write contracts for this customer."))
            return redirect(reverse("customers:detail", args=[customer.pk]))
        else:
            messages.success(request, _("Contract %(code)s saved.") % {"code": contract.code})
            return redirect(reverse("finance:contract-detail", args=[contract.pk]))
    return render(request, "finance/contract_form.html", {
        "nav": "contracts", "customer": customer, "form": form, "formset": formset, "contract": None,
        "target_amount": target_amount, "split_query": {k: v for k, v in request.GET.items() if k in CARRIED},
        "sources": {f"q{q.pk}": str(q.total) for q in quotes} | {f"o{o.pk}": str(o.amount) for o in opportunities},
    })


def contract_plan_rows(contract, today: date) -> list[dict]:
    rows = []
    for i in Instalment.objects.filter(contract_id=contract.pk).order_by("seq"):
        rows.append({"obj": i, "open": i.amount - i.applied, "is_overdue": i.paid_in_full_on is None and i.due_on < today,
                     "late": i.paid_in_full_on is not None and i.paid_in_full_on > i.due_on})
    return rows


@login_required
@require_GET
def contract_detail_view(request, pk):
    contract = _get_visible(Contract, request.user, pk, "owner", "opportunity", "quote")
    today = timezone.localdate()
    plan = contract_plan_rows(contract, today)
    allocations = list(PaymentAllocation.objects.filter(instalment__contract_id=contract.pk)
                       .select_related("payment", "instalment").order_by("-payment__paid_on", "-payment_id", "instalment__seq"))
    orders = list(SalesOrder.objects.visible_to(request.user).filter(contract_id=contract.pk)
                  .annotate(total=Sum("lines__revenue")).order_by("-order_date", "-id")[:50])
    received = sum((r["obj"].applied for r in plan), Decimal("0.00"))
    return render(request, "finance/contract_detail.html", {
        "nav": "contracts", "contract": contract, "customer": contract.customer, "plan": plan, "allocations": allocations,
        "orders": orders, "received": received, "open": contract.amount - received,
        "can_edit_plan": contract_services.can_edit_plan(request.user, contract),
        "can_create_order": order_services.can_create_order(request.user, contract.customer),
    })


@login_required
@require_http_methods(["GET", "POST"])
def contract_plan_view(request, pk):
    contract = _get_visible(Contract, request.user, pk)
    detail = reverse("finance:contract-detail", args=[contract.pk])
    if not contract_services.can_edit_plan(request.user, contract):
        messages.warning(request, _("Payment plans are changed by finance or the owner's manager."))
        return redirect(detail)
    current = [{"due_on": i.due_on, "amount": i.amount} for i in Instalment.objects.filter(contract_id=contract.pk).order_by("seq")]
    count = _int(request.GET.get("split"))
    if request.method == "GET" and count:
        current = _split_initial(contract.amount, count, current[0]["due_on"] if current else contract.signed_on)
    formset = InstalmentFormSet(request.POST or None, prefix="plan", initial=current if request.method == "GET" else None)
    error = ""
    if request.method == "POST" and formset.is_valid():
        try:
            contract_services.contract_plan_update(actor=request.user, contract=contract, instalments=formset.instalments())
        except FinanceError as exc:
            error = str(exc)
        except PermissionDenied:
            messages.warning(request, _("Payment plans are changed by finance or the owner's manager."))
            return redirect(detail)
        else:
            messages.success(request, _("Payment plan of %(code)s saved.") % {"code": contract.code})
            return redirect(detail)
    return render(request, "finance/contract_plan.html", {
        "nav": "contracts", "contract": contract, "customer": contract.customer, "formset": formset, "error": error,
        "target_amount": contract.amount,
    })


# --- orders ----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def order_create_view(request, pk):
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if not order_services.can_create_order(request.user, customer):
        messages.warning(request, _("You may not write orders for this customer."))
        return redirect(reverse("customers:detail", args=[customer.pk]))
    products = list(Product.objects.filter(is_active=True).order_by("code"))
    contracts = list(Contract.objects.visible_to(request.user).filter(customer_id=customer.pk).order_by("-signed_on", "-id")[:100])
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
            order = order_services.order_create(actor=request.user, customer=customer, contract=d["contract"], order_date=d["order_date"],
                                                currency=d["currency"], lines=formset.lines())
        except FinanceError as exc:
            form.add_error(None, str(exc))
        except PermissionDenied:
            messages.warning(request, _("You may not write orders for this customer."))
            return redirect(reverse("customers:detail", args=[customer.pk]))
        else:
            messages.success(request, _("Order %(code)s saved as a draft.") % {"code": order.code})
            return redirect(reverse("finance:order-detail", args=[order.pk]))
    return render(request, "finance/order_form.html", {
        "nav": "orders", "customer": customer, "form": form, "formset": formset,
        "prices": {str(p.pk): str(p.list_price) for p in products},
    })


def _event_rows(order) -> list[dict]:
    rows = []
    for e in CreditEvent.objects.filter(order_id=order.pk).select_related("user").order_by("-at", "-id"):
        reasons = [reason_text(r.get("code", ""), r) for r in (e.details or {}).get("reasons", [])]
        rows.append({"obj": e, "reasons": reasons})
    return rows


@login_required
@require_GET
def order_detail_view(request, pk):
    order = _get_visible(SalesOrder, request.user, pk, "owner", "contract")
    lines = list(OrderLine.objects.filter(order_id=order.pk).select_related("product").order_by("id"))
    revenue = sum((li.revenue for li in lines), Decimal("0.00"))
    cost = sum((li.cost for li in lines), Decimal("0.00"))
    user = request.user
    may_edit = order_services.can_edit_order(user, order)
    return render(request, "finance/order_detail.html", {
        "nav": "orders", "order": order, "customer": order.customer, "lines": lines, "revenue": revenue, "cost": cost,
        "margin": revenue - cost, "events": _event_rows(order),
        "receivables": list(Receivable.objects.filter(order_id=order.pk).order_by("id")),
        "can_confirm": may_edit and order.status == SalesOrder.Status.DRAFT,
        "can_ship": may_edit and order.status == SalesOrder.Status.CONFIRMED,
        "can_release": order.status == SalesOrder.Status.BLOCKED and can_release_order(user, order),
        "ship_form": ShipForm(initial={"shipped_on": timezone.localdate()}), "release_form": ReleaseForm(),
    })


def _order_action(request, order, action, success: str):
    detail = reverse("finance:order-detail", args=[order.pk])
    try:
        action()
    except FinanceError as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        messages.warning(request, _("You may not do this on this order."))
    else:
        messages.success(request, success)
    return redirect(detail)


@login_required
@require_POST
def order_confirm_view(request, pk):
    """Confirm a draft. A hold by credit control is a normal outcome: a warning with the reasons."""
    order = _get_visible(SalesOrder, request.user, pk)
    try:
        confirmed = order_services.order_confirm(actor=request.user, order=order)
    except FinanceError as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        messages.warning(request, _("You may not do this on this order."))
    else:
        if confirmed.status == SalesOrder.Status.BLOCKED:
            event = CreditEvent.objects.filter(order_id=order.pk, kind=CreditEvent.Kind.BLOCK).order_by("-at", "-id").first()
            reasons = [reason_text(r.get("code", ""), r) for r in (event.details or {}).get("reasons", [])] if event else []
            messages.warning(request, " ".join([
                _("Order %(code)s is held by credit control; finance or a manager may release it.") % {"code": order.code}, *reasons]))
        else:
            messages.success(request, _("Order %(code)s confirmed.") % {"code": order.code})
    return redirect(reverse("finance:order-detail", args=[order.pk]))


@login_required
@require_POST
def order_ship_view(request, pk):
    order = _get_visible(SalesOrder, request.user, pk, "contract")
    form = ShipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the shipping date."))
        return redirect(reverse("finance:order-detail", args=[order.pk]))
    if order.contract_id:
        done = _("Order %(code)s shipped; it is billed through the payment plan of contract %(contract)s.") % {
            "code": order.code, "contract": order.contract.code}
    else:
        done = _("Order %(code)s shipped; its receivable is issued.") % {"code": order.code}
    return _order_action(
        request, order, lambda: order_services.order_ship(actor=request.user, order=order, shipped_on=form.cleaned_data["shipped_on"]),
        done,
    )


@login_required
@require_POST
def order_release_view(request, pk):
    order = _get_visible(SalesOrder, request.user, pk)
    form = ReleaseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _order_action(
        request, order, lambda: order_services.order_release(actor=request.user, order=order, reason=reason),
        _("Order %(code)s released.") % {"code": order.code},
    )


def _orders(user):
    return (SalesOrder.objects.visible_to(user).select_related("customer", "owner")
            .annotate(total=Sum("lines__revenue")).order_by("-order_date", "-id"))


@login_required
@require_GET
def order_list_view(request):
    filters = OrderFilterForm(request.GET or None)
    qs = _orders(request.user)
    if filters.is_valid() and filters.cleaned_data.get("status"):
        qs = qs.filter(status=filters.cleaned_data["status"])
    page = paginate(qs, params=request.GET)
    return render(request, "finance/order_list.html", {"nav": "orders", "filters": filters, "page": page})


@login_required
@require_GET
def credit_holds_view(request):
    """Orders held by credit control (finance, managers, admins see what they may release)."""
    qs = _orders(request.user).filter(status=SalesOrder.Status.BLOCKED)
    page = paginate(qs, params=request.GET)
    return render(request, "finance/credit_holds.html", {"nav": "credit-holds", "page": page})

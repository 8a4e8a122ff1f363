"""Contracts: create one with its payment plan, a contract's page, change its plan."""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.dates import add_months, parse_date_param
from kehu.core.errors import StaleEdit
from kehu.core.forms import seen_load, seen_sign
from kehu.core.money import CURRENCIES, MONEY_MAX
from kehu.core.views import get_visible_or_404, refuse
from kehu.customers.selectors import customer_get_visible_or_404
from kehu.finance import selectors, services
from kehu.finance.errors import FinanceError
from kehu.finance.forms_orders import ContractForm, InstalmentFormSet
from kehu.finance.permissions import can_create_contract, can_create_order, can_edit_plan
from kehu.sales.models import Quote

SPLIT_MAX = 60
CARRIED = ("quote", "opportunity", "source", "signed_on", "amount", "currency", "payment_term_days")


def _split_initial(amount: Decimal, count: int, first_due: date) -> list[dict]:
    parts = services.split_evenly(amount, min(max(count, 1), SPLIT_MAX))
    return [{"due_on": add_months(first_due, n), "amount": a} for n, a in enumerate(parts)]


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _contract_initial(params, opportunities, quotes) -> dict:
    """The contract form's initial values from the query: the source (`source=q12`, or `quote=` /
    `opportunity=` from a link), and the signing date, amount, currency and payment term the
    "Split evenly" form carries along, so that splitting keeps what was chosen. Values that do not
    parse (or a date out of range) are left out. `_source` is the chosen quote or opportunity."""
    initial = {"signed_on": parse_date_param(params.get("signed_on"), timezone.localdate())}
    sources = {f"q{q.pk}": q for q in quotes} | {f"o{o.pk}": o for o in opportunities}
    wanted = params.get("source") or (f"q{params['quote']}" if params.get("quote") else "") or (
        f"o{params['opportunity']}" if params.get("opportunity") else "")
    if wanted in sources:
        initial["source"], initial["_source"] = wanted, sources[wanted]
    try:
        amount = Decimal((params.get("amount") or "").strip())
    except ArithmeticError:
        amount = None
    if amount is not None and amount.is_finite() and Decimal("0") < amount <= MONEY_MAX and amount == amount.quantize(Decimal("0.01")):
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
    if not can_create_contract(request.user, customer):
        return refuse(request, _("You may not write contracts for this customer."), "customers:detail", pk=customer.pk)
    opportunities, quotes = selectors.contract_sources(user=request.user, customer=customer)
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
            contract = services.contract_create(
                actor=request.user, customer=customer, instalments=formset.instalments(), **form.service_arguments(),
            )
        except FinanceError as exc:
            form.add_error(None, str(exc))
        except PermissionDenied:
            return refuse(request, _("You may not write contracts for this customer."), "customers:detail", pk=customer.pk)
        else:
            messages.success(request, _("Contract %(code)s saved.") % {"code": contract.code})
            return redirect(reverse("finance:contract-detail", args=[contract.pk]))
    return render(request, "finance/contract_form.html", {
        "nav": "contracts", "customer": customer, "form": form, "formset": formset, "contract": None,
        "gaps": None if (opportunities or quotes) else selectors.contract_source_gaps(user=request.user, customer=customer),
        "target_amount": target_amount, "split_query": {k: v for k, v in request.GET.items() if k in CARRIED},
        "sources": {f"q{q.pk}": str(q.total) for q in quotes} | {f"o{o.pk}": str(o.amount) for o in opportunities},
    })


@login_required
@require_GET
def contract_detail_view(request, pk):
    contract = get_visible_or_404(selectors.contract_list(user=request.user), pk=pk)
    plan = selectors.contract_plan_rows(contract, timezone.localdate())
    received = sum((r["obj"].applied for r in plan), Decimal("0.00"))
    return render(request, "finance/contract_detail.html", {
        "nav": "contracts", "contract": contract, "customer": contract.customer, "plan": plan,
        "allocations": selectors.contract_allocations(contract),
        "orders": list(selectors.order_list(user=request.user, contract_id=contract.pk)[:50]),
        "received": received, "open": contract.amount - received,
        "can_edit_plan": can_edit_plan(request.user, contract),
        "can_create_order": can_create_order(request.user, contract.customer),
    })


@login_required
@require_http_methods(["GET", "POST"])
def contract_plan_view(request, pk):
    contract = get_visible_or_404(selectors.contract_list(user=request.user), pk=pk)
    if not can_edit_plan(request.user, contract):
        return refuse(request, _("Payment plans are changed by finance or the owner's manager."), "finance:contract-detail", pk=contract.pk)
    current = [{"due_on": r["obj"].due_on, "amount": r["obj"].amount} for r in selectors.contract_plan_rows(contract, timezone.localdate())]
    count = _int(request.GET.get("split"))
    if request.method == "GET" and count:
        current = _split_initial(contract.amount, count, current[0]["due_on"] if current else contract.signed_on)
    formset = InstalmentFormSet(request.POST or None, prefix="plan", initial=current if request.method == "GET" else None)
    errors = []
    # The plan as this form was opened with it (stale-edit guard): kept from the form on a POST.
    seen_token = request.POST.get("seen", "") if request.method == "POST" else seen_sign(services.plan_seen_values(contract))
    if request.method == "POST" and formset.is_valid():
        try:
            services.contract_plan_set(actor=request.user, contract=contract, instalments=formset.instalments(), seen=seen_load(seen_token))
        except StaleEdit as exc:
            errors = [exc.message] + [_("%(field)s: “%(before)s” → “%(now)s”") % {"field": label, "before": before, "now": now}
                                      for label, before, now in exc.changes]
            seen_token = seen_sign(services.plan_seen_values(contract))  # saving again overwrites knowingly
        except FinanceError as exc:
            errors = [str(exc)]
        except PermissionDenied:
            return refuse(request, _("Payment plans are changed by finance or the owner's manager."), "finance:contract-detail", pk=contract.pk)
        else:
            messages.success(request, _("Payment plan of %(code)s saved.") % {"code": contract.code})
            return redirect("finance:contract-detail", pk=contract.pk)
    return render(request, "finance/contract_plan.html", {
        "nav": "contracts", "contract": contract, "customer": contract.customer, "formset": formset, "errors": errors,
        "target_amount": contract.amount, "seen": seen_token,
    })

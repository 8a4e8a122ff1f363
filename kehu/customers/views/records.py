"""Customer record pages: list, detail, create, edit, delete, recycle bin, merge, duplicate check.

Views parse, call a selector or service, render. Who sees a record is decided by the
selectors (404 otherwise); what a user may do by accounts.permissions, checked again in the
services. A user who may see a record but not act on it is sent back with a message.
"""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from kehu.accounts import permissions as account_permissions
from kehu.core.context_processors import HeaderBadges
from kehu.core.errors import StaleEdit
from kehu.core.pagination import paginate
from kehu.core.views import is_partial, refuse
from kehu.customers import selectors, services
from kehu.customers.errors import CustomerError, DuplicateCustomer
from kehu.customers.forms import CreditForm, CustomerForm, profile_form_class
from kehu.customers.models import Customer
from kehu.customers.services.records import MANUAL_STAGES, clean_uscc
from kehu.customers import permissions


# The list's filters besides the search box (templates/customers/customer_list.html).
LIST_COLUMNS = ("code", "name", "is_key_account", "phone", "kind", "owner_id", "owner__name", "owner__username", "stage",
                "lead_source", "province", "city", "industry", "pyramid_tier", "value_class", "last_followup_at")
LIST_FILTERS = ("owner", "stage", "lead_source", "kind", "province", "industry", "tag", "pyramid_tier", "value_class", "key")


def _rights(user, customer) -> dict:
    return {
        "edit": permissions.can_edit_customer(user, customer),
        "credit": permissions.can_edit_credit(user, customer),
        "delete": permissions.can_delete_customer(user, customer),
        "claim": permissions.can_claim_customer(user, customer),
        "release": permissions.can_release_customer(user, customer),
        "sensitive": account_permissions.can_view_sensitive(user),
    }


def _refuse(request, customer, message=None):
    return refuse(request, message or _("You can see this customer but you may not change it."), "customers:detail", pk=customer.pk)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def customer_list_view(request):
    # Only the columns the rows show (customer_list_tags.customer_rows): fewer dates to convert;
    # their tags by one plain query (selectors.attach_tag_names) instead of the prefetch.
    # A search matching few customers: each row carries their total (no count query).
    rows = (selectors.customer_list(user=request.user, params=request.GET, count_few=True)
            .prefetch_related(None).only(*LIST_COLUMNS))
    # With a search the page often holds every match: its rows are then the count.
    page = paginate(rows, params=request.GET, count_last_page=bool(request.GET.get("q", "").strip()),
                    total_attr=selectors.LIST_TOTAL)
    context = {"page": page, "params": request.GET, "nav": "customers"}
    if is_partial(request):
        selectors.attach_tag_names(page.rows)
        return render(request, "customers/customer_list.html#table", context)
    # The drop-downs' values, the rows' tags and the header's counts: one query.
    context["choices"] = selectors.list_page_extras(user=request.user, rows=page.rows, badges=HeaderBadges.for_request(request))
    context["stages"] = Customer.Stage.choices
    context["lead_sources"] = Customer.LeadSource.choices
    context["kinds"] = Customer.Kind.choices
    context["tiers"] = Customer.PyramidTier.choices
    context["value_classes"] = Customer.ValueClass.choices
    context["can_create"] = permissions.can_create_customer(request.user)
    # On a phone the filters sit behind a button; it opens them when one is in use.
    context["active_filters"] = sum(1 for name in LIST_FILTERS if request.GET.get(name))
    return render(request, "customers/customer_list.html", context)


@login_required
@require_GET
def customer_detail_view(request, pk):
    """The summary card, then the panels each app registers (kehu.customers.hooks.CUSTOMER_PANELS),
    section by section (templates/customers/customer_detail.html)."""
    customer = selectors.customer_detail(user=request.user, pk=pk)
    selectors.page_memo_start(customer, request.user)  # the panels share what more than one of them reads
    return render(request, "customers/customer_detail.html", _detail_context(request, customer))


def _detail_context(request, customer) -> dict:
    return {
        "customer": customer,
        "can": _rights(request.user, customer),
        "referrer_visible": customer.referrer_customer_id is not None and customer.referrer_visible,  # read with the customer
        "nav": "customers",
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def customer_panels_view(request, pk):
    """The customer page's lazy panels (kehu.customers.hooks.CustomerPanel.lazy), `?key=` naming
    them (all without): what the page's placeholders load after it (htmx), or a page of its own
    without JavaScript. Same customer, context and visibility as the page (404 otherwise)."""
    customer = selectors.customer_detail(user=request.user, pk=pk)
    selectors.page_memo_start(customer, request.user)
    context = {**_detail_context(request, customer), "keys": request.GET.getlist("key")}
    if is_partial(request):
        return render(request, "customers/detail_panels.html#panels", context)
    return render(request, "customers/detail_panels.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_create_view(request):
    user = request.user
    if not permissions.can_create_customer(user):
        return refuse(request, _("You may not create customers."), "customers:list")
    provisional = Customer(owner=user if (user.is_rep or user.is_manager) else None)
    form = CustomerForm(request.POST or None, user=user, creating=True,
                        allow_credit=permissions.can_edit_credit(user, provisional))
    duplicates, blocking = None, False
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(
                actor=user, allow_possible_duplicate=form.cleaned_data.get("allow_duplicate", False),
                **form.service_arguments(),
            )
        except DuplicateCustomer as exc:
            duplicates, blocking = selectors.duplicate_rows(user=user, matches=exc.matches), exc.blocking
        except CustomerError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Customer %(code)s created.") % {"code": customer.code})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {
        "form": form, "creating": True, "duplicates": duplicates, "blocking": blocking,
        "typed_name": form.data.get("name", ""), "nav": "customers",
    })


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit_view(request, pk):
    user = request.user
    customer = selectors.customer_get_visible_or_404(user=user, pk=pk)
    data = request.POST if request.method == "POST" else None
    profile_form = None
    if permissions.can_edit_customer(user, customer):
        form = CustomerForm(data, instance=copy.copy(customer), user=user, creating=False,
                            allow_credit=permissions.can_edit_credit(user, customer))
        profile = selectors.customer_profile(customer=customer)
        profile_form = profile_form_class(customer)(data, instance=profile, prefix="profile", user=user)
    elif permissions.can_edit_credit(user, customer):
        form = CreditForm(data, instance=copy.copy(customer), user=user)
    else:
        return _refuse(request, customer)
    duplicates = None
    if data is not None and form.is_valid() and (profile_form is None or profile_form.is_valid()):
        arguments = form.service_arguments()
        if profile_form is not None:
            arguments["profile"] = profile_form.service_arguments()
            arguments["profile_seen"] = profile_form.seen
        try:
            services.customer_update(actor=user, customer=customer, seen=form.seen, **arguments)
        except StaleEdit as exc:  # somebody saved the customer after this form was opened
            form.add_stale_error(exc)
            if profile_form is not None:
                profile_form.renew_seen()
        except DuplicateCustomer as exc:
            duplicates = selectors.duplicate_rows(user=user, matches=exc.matches)
            form.add_error("uscc", _("Another customer already has this unified social credit code."))
        except CustomerError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            return _refuse(request, customer)
        else:
            messages.success(request, _("Customer %(code)s saved.") % {"code": customer.code})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {
        "form": form, "profile_form": profile_form, "customer": customer, "creating": False,
        "credit_only": isinstance(form, CreditForm), "duplicates": duplicates, "blocking": True,
        "stage_readonly": not isinstance(form, CreditForm) and customer.stage not in MANUAL_STAGES, "nav": "customers",
    })


@login_required
@require_GET
def duplicate_check_view(request):
    """htmx: possible duplicates of what is being typed (across all customers, see docs/rules.md)."""
    if not account_permissions.is_sales(request.user):
        return HttpResponse("")
    name = request.GET.get("name", "").strip()
    phone = request.GET.get("phone", "").strip()
    uscc = request.GET.get("uscc", "").strip()
    uscc_error = ""
    if uscc:
        try:
            uscc = clean_uscc(uscc)
        except CustomerError as exc:
            uscc_error = exc.message if len(uscc) >= 18 else ""
            uscc = ""
    exclude = request.GET.get("exclude", "")
    exclude_id = int(exclude) if exclude.isdigit() else None
    matches = services.customer_find_duplicates(uscc=uscc, name=name, phone=phone, exclude_id=exclude_id)
    return render(request, "customers/partials/duplicates.html", {
        "duplicates": selectors.duplicate_rows(user=request.user, matches=matches),
        "uscc_error": uscc_error, "live": True, "blocking": any(m.reason == "uscc" for m in matches),
        "typed_name": name,
    })


@login_required
@require_http_methods(["GET", "POST"])
def customer_delete_view(request, pk):
    customer = selectors.customer_get_visible_or_404(user=request.user, pk=pk)
    if not permissions.can_delete_customer(request.user, customer):
        return _refuse(request, customer, _("Only a manager of the owner or an administrator may delete a customer."))
    if request.method == "POST":
        try:
            services.customer_delete(actor=request.user, customer=customer)
        except PermissionDenied:
            return _refuse(request, customer)
        messages.success(request, _("Customer %(code)s moved to the recycle bin.") % {"code": customer.code})
        return redirect("customers:list")
    return render(request, "customers/customer_confirm_delete.html", {"customer": customer, "nav": "customers"})


def _require_admin(user):
    if not (user.is_active and user.is_admin_role):
        raise Http404


@login_required
@require_GET
def recycle_bin_view(request):
    _require_admin(request.user)
    page = paginate(selectors.customer_recycle_bin(user=request.user), params=request.GET)
    return render(request, "customers/customer_recycle_bin.html", {"page": page, "nav": "bin"})


@login_required
@require_POST
def customer_restore_view(request, pk):
    _require_admin(request.user)
    customer = selectors.customer_get_visible_or_404(user=request.user, pk=pk, include_deleted=True)
    if not customer.is_deleted:
        return redirect("customers:detail", pk=customer.pk)
    try:
        services.customer_restore(actor=request.user, customer=customer)
    except CustomerError as exc:
        messages.error(request, exc.message)
        return redirect("customers:recycle-bin")
    messages.success(request, _("Customer %(code)s restored with its contacts and history.") % {"code": customer.code})
    return redirect("customers:detail", pk=customer.pk)


def _moved_text(counts: dict) -> str:
    labels = {"contacts": _("contacts"), "history": _("history entries")}
    parts = [_("%(label)s: %(count)d") % {"label": labels.get(k, k), "count": n} for k, n in counts.items() if n]
    return ", ".join(parts) if parts else _("nothing")


@login_required
@require_http_methods(["GET", "POST"])
def customer_merge_view(request, pk):
    """Merge another record into this one (or this one into the other), after a side-by-side look."""
    user = request.user
    customer = selectors.customer_get_visible_or_404(user=user, pk=pk)
    if not permissions.can_edit_customer(user, customer):
        return _refuse(request, customer)
    other_id = request.POST.get("other") if request.method == "POST" else request.GET.get("other")
    other = selectors.customer_get_visible_or_404(user=user, pk=other_id) if other_id else None
    if other is not None and other.pk == customer.pk:
        messages.warning(request, _("Choose a different record to merge with."))
        other = None
    directions = {}
    if other is not None:
        directions = {
            "this": permissions.can_merge_customers(user, customer, other),
            "other": permissions.can_merge_customers(user, other, customer),
        }
    if request.method == "POST" and other is not None:
        keep = request.POST.get("keep", "this")
        kept, merged = (customer, other) if keep == "this" else (other, customer)
        try:
            record = services.customer_merge(actor=user, kept=kept, merged=merged)
        except CustomerError as exc:
            messages.error(request, exc.message)
        except PermissionDenied:
            messages.error(request, _("You may not merge these two records."))
        else:
            messages.success(request, _("%(merged)s was merged into %(kept)s. Moved: %(moved)s.") % {
                "merged": merged.code, "kept": kept.code, "moved": _moved_text(record.moved_counts),
            })
            return redirect("customers:detail", pk=kept.pk)
        return redirect(reverse("customers:merge", args=[customer.pk]) + f"?other={other.pk}")
    q = request.GET.get("q", "")
    return render(request, "customers/customer_merge.html", {
        "customer": customer, "other": other, "directions": directions, "q": q,
        "candidates": [] if other else selectors.merge_candidates(user=user, customer=customer, q=q),
        "nav": "customers",
    })

"""The key-account archive pages: the archive, a section's inline edit, spend rows.

Who sees the archive: whoever sees the customer (404 otherwise, before anything else).
Who changes it: whoever may edit the customer (`can_edit_customer`, checked again in the
services); others who see it are sent back to the archive with a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from kehu.core.errors import StaleEdit
from kehu.core.views import refuse, is_partial
from kehu.customers import selectors
from kehu.customers.archive import selectors as archive_selectors
from kehu.customers.errors import CustomerError
from kehu.customers.forms_archive import CATEGORY_DATALIST_ID, ArchiveSectionForm, CategorySpendForm
from kehu.customers.services import archive as archive_services
from kehu.customers import permissions


def _archive_url(customer, anchor: str = "") -> str:
    return reverse("customers:archive", args=[customer.pk]) + (f"#{anchor}" if anchor else "")


def _go(request, url):
    """Redirect; an htmx request makes the browser load `url` (give it no #fragment: a jump
    to a fragment of the page already shown would not reload it)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _refuse(request, customer):
    return refuse(request, _("You can see this archive but you may not change it."), _archive_url(customer))


@login_required
@require_GET
def archive_view(request, pk):
    archive = archive_selectors.customer_archive(user=request.user, pk=pk)
    return render(request, "customers/archive.html", {
        "archive": archive, "customer": archive.customer,
        "can_edit": permissions.can_edit_customer(request.user, archive.customer), "nav": "customers",
    })


@login_required
@require_http_methods(["GET", "POST"])
def archive_section_edit_view(request, pk, section):
    customer = selectors.customer_get_visible_or_404(user=request.user, pk=pk)
    current = archive_selectors.archive_section(customer=customer, section=section)
    if not permissions.can_edit_customer(request.user, customer):
        return _refuse(request, customer)
    initial = {"text": current.row.text, "share_pct": current.row.share_pct} if current.row else {}
    form = ArchiveSectionForm(request.POST or None, initial=initial, section=current.key, row=current.row)
    if request.method == "POST" and form.is_valid():
        try:
            archive_services.archive_section_update(
                actor=request.user, customer=customer, section=current.key, seen=form.seen, **form.service_arguments())
        except StaleEdit as exc:  # somebody saved the section after this form was opened
            now = archive_selectors.archive_section(customer=customer, section=current.key)
            form.add_stale_error(exc, current=now.row)
        except CustomerError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            return _refuse(request, customer)
        else:
            saved = archive_selectors.archive_section(customer=customer, section=current.key)
            if is_partial(request):
                return render(request, "customers/partials/archive_section.html", {
                    "customer": customer, "s": saved, "can_edit": True, "just_saved": True})
            messages.success(request, _("%(section)s saved.") % {"section": current.label})
            return redirect(_archive_url(customer, f"section-{current.key}"))
    context = {"customer": customer, "s": current, "form": form, "nav": "customers"}
    if is_partial(request):
        return render(request, "customers/partials/archive_section_form.html", context)
    return render(request, "customers/archive_section_edit.html", context)


def _spend_form_response(request, context):
    context |= {"datalist_id": CATEGORY_DATALIST_ID, "suggestions": archive_selectors.category_suggestions(user=request.user),
                "nav": "customers"}
    if is_partial(request):
        return render(request, "customers/partials/archive_spend_form.html", context)
    return render(request, "customers/archive_spend_form.html", context)


def _spend_save(request, customer, form, spend=None):
    """Save a valid form through the service; None when the form got an error to show.

    With htmx the spend table is swapped in place (the growth of other rows may change);
    without, the browser goes back to the archive."""
    try:
        row = archive_services.category_spend_set(actor=request.user, customer=customer, spend=spend, seen=form.seen,
                                                  **form.service_arguments())
    except StaleEdit as exc:  # somebody saved the row after this form was opened
        form.add_stale_error(exc)
        return None
    except CustomerError as exc:
        form.add_error(None, exc.message)
        return None
    if is_partial(request):
        response = render(request, "customers/partials/archive_spend.html", {
            "customer": customer, "years": archive_selectors.customer_spend_years(customer=customer),
            "can_edit": True, "saved": row,
        })
        return retarget(reswap(response, "outerHTML"), "#spend")
    messages.success(request, _("Spend on %(category)s in %(year)s saved.") % {"category": row.category, "year": row.year})
    return redirect(_archive_url(customer, "spend"))


@login_required
@require_http_methods(["GET", "POST"])
def spend_create_view(request, pk):
    customer = selectors.customer_get_visible_or_404(user=request.user, pk=pk)
    if not permissions.can_edit_customer(request.user, customer):
        return _refuse(request, customer)
    form = CategorySpendForm(request.POST or None, currency=customer.currency)
    if request.method == "POST" and form.is_valid():
        try:
            done = _spend_save(request, customer, form)
        except PermissionDenied:
            return _refuse(request, customer)
        if done is not None:
            return done
    return _spend_form_response(request, {
        "customer": customer, "spend": None, "form": form, "action": reverse("customers:archive-spend-create", args=[customer.pk]),
    })


@login_required
@require_http_methods(["GET", "POST"])
def spend_edit_view(request, pk):
    spend = archive_selectors.category_spend_get_visible_or_404(user=request.user, pk=pk)
    customer = spend.customer
    if not permissions.can_edit_customer(request.user, customer):
        return _refuse(request, customer)
    form = CategorySpendForm(request.POST or None, spend=spend)
    if request.method == "POST" and form.is_valid():
        try:
            done = _spend_save(request, customer, form, spend=spend)
        except PermissionDenied:
            return _refuse(request, customer)
        if done is not None:
            return done
    return _spend_form_response(request, {
        "customer": customer, "spend": spend, "form": form, "action": reverse("customers:archive-spend-edit", args=[spend.pk]),
    })


@login_required
@require_http_methods(["GET", "POST"])
def spend_delete_view(request, pk):
    spend = archive_selectors.category_spend_get_visible_or_404(user=request.user, pk=pk)
    customer = spend.customer
    if not permissions.can_edit_customer(request.user, customer):
        return _refuse(request, customer)
    if request.method == "POST":
        try:
            archive_services.category_spend_delete(actor=request.user, spend=spend)
        except PermissionDenied:
            return _refuse(request, customer)
        messages.success(request, _("Spend on %(category)s in %(year)s deleted.") % {"category": spend.category, "year": spend.year})
        return _go(request, _archive_url(customer) if request.htmx else _archive_url(customer, "spend"))
    return render(request, "customers/archive_spend_confirm_delete.html", {"spend": spend, "customer": customer, "nav": "customers"})

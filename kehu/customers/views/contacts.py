"""Contact pages: create (inline on the customer page with htmx, or as a page), edit, delete."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from kehu.core.errors import StaleEdit
from kehu.core.views import is_partial, refuse
from kehu.customers import selectors, services
from kehu.customers.errors import CustomerError
from kehu.customers.forms import ContactForm
from kehu.customers import permissions


def _refuse(request, customer):
    return refuse(request, _("You can see this customer but you may not change its contacts."), "customers:detail", pk=customer.pk)


def _done(request, customer, message):
    messages.success(request, message)
    url = reverse("customers:detail", args=[customer.pk])
    if request.htmx:
        # No #fragment here: a redirect to the same page plus a fragment only scrolls.
        return HttpResponseClientRedirect(url)
    return redirect(url + "#contacts")


def _render_form(request, context):
    """The whole page, or only the form when htmx asks for it inline on the customer page."""
    if is_partial(request):
        return render(request, "customers/partials/contact_form.html", context)
    return render(request, "customers/contact_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create_view(request, pk):
    customer = selectors.customer_get_visible_or_404(user=request.user, pk=pk)
    if not permissions.can_edit_customer(request.user, customer):
        return _refuse(request, customer)
    form = ContactForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(actor=request.user, customer=customer, data=form.service_arguments())
        except CustomerError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            return _refuse(request, customer)
        else:
            return _done(request, customer, _("Contact %(name)s added.") % {"name": contact.name})
    return _render_form(request, {
        "form": form, "customer": customer, "contact": None,
        "action": reverse("customers:contact-create", args=[customer.pk]), "nav": "customers",
    })


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit_view(request, pk):
    contact = selectors.contact_get_visible_or_404(user=request.user, pk=pk)
    customer = contact.customer
    if not permissions.can_edit_customer(request.user, customer):
        return _refuse(request, customer)
    form = ContactForm(request.POST or None, instance=copy.copy(contact), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(actor=request.user, contact=contact, data=form.service_arguments(), seen=form.seen)
        except StaleEdit as exc:  # somebody saved the contact after this form was opened
            form.add_stale_error(exc)
        except CustomerError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            return _refuse(request, customer)
        else:
            return _done(request, customer, _("Contact %(name)s saved.") % {"name": form.cleaned_data["name"]})
    return _render_form(request, {
        "form": form, "customer": customer, "contact": contact,
        "action": reverse("customers:contact-edit", args=[contact.pk]), "nav": "customers",
    })


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete_view(request, pk):
    contact = selectors.contact_get_visible_or_404(user=request.user, pk=pk)
    customer = contact.customer
    if not permissions.can_edit_customer(request.user, customer):
        return _refuse(request, customer)
    if request.method == "POST":
        try:
            services.contact_delete(actor=request.user, contact=contact)
        except PermissionDenied:
            return _refuse(request, customer)
        return _done(request, customer, _("Contact %(name)s deleted.") % {"name": contact.name})
    return render(request, "customers/contact_confirm_delete.html", {"contact": contact, "customer": customer, "nav": "customers"})

"""The qualification checklist: the panel of the customer page (tick / untick, htmx) and the
admin's settings page for the items. Views parse, call kehu.customers.qualification, render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import modelformset_factory
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from kehu.core.forms import style_form
from kehu.core.views import is_partial
from kehu.customers import qualification as q
from kehu.customers.errors import CustomerError
from kehu.customers.models import QualificationItem
from kehu.customers.permissions import can_check_qualification, can_edit_qualification_items
from kehu.customers.selectors import customer_get_visible_or_404

PANEL = "customers/partials/qualification_panel.html"


class QualificationTickForm(forms.Form):
    item = forms.ModelChoiceField(queryset=QualificationItem.objects.filter(is_active=True), label=gettext_lazy("item"))
    checked = forms.BooleanField(required=False, label=gettext_lazy("done"))
    note = forms.CharField(required=False, max_length=255, label=gettext_lazy("note"))


def panel_context(request, customer, *, message: str = "", error: str = "") -> dict:
    rows = q.checklist_rows(customer=customer)
    return {
        "customer": customer,
        "rows": rows,
        "done": sum(1 for r in rows if r["check"]),
        "total": len(rows),
        "can_check": can_check_qualification(request.user, customer),
        "shown": q.shows_checklist(customer),
        "message": message,
        "error": error,
    }


def render_panel(request, customer) -> str:
    """The panel as HTML for the customer page (empty for signed and VIP customers)."""
    if not q.shows_checklist(customer):
        return ""
    return render_to_string(PANEL, panel_context(request, customer), request=request)


def _customer_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "#qualification"


def _answer(request, customer, *, message: str = "", error: str = ""):
    if is_partial(request):
        return render(request, PANEL, panel_context(request, customer, message=message, error=error))
    if error:
        messages.warning(request, error)
    elif message:
        messages.success(request, message)
    return redirect(_customer_url(customer))


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def qualification_view(request, pk):
    """GET (htmx): the panel; POST: tick or untick one item (`item`, `checked`, `note`)."""
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if request.method == "GET":
        if is_partial(request):
            return render(request, PANEL, panel_context(request, customer))
        return redirect(_customer_url(customer))
    if not can_check_qualification(request.user, customer):
        messages.warning(request, _("You can see this customer but you may not change its qualification checklist."))
        if request.htmx:
            return HttpResponseClientRedirect(_customer_url(customer))
        return redirect(_customer_url(customer))
    form = QualificationTickForm(request.POST)
    if not form.is_valid():
        return _answer(request, customer, error=_("Choose an item of the checklist."))
    item = form.cleaned_data["item"]
    try:
        if form.cleaned_data["checked"]:
            outcome = q.qualification_check(actor=request.user, customer=customer, item=item, note=form.cleaned_data["note"])
        else:
            outcome = q.qualification_uncheck(actor=request.user, customer=customer, item=item)
    except PermissionDenied:
        messages.warning(request, _("You can see this customer but you may not change its qualification checklist."))
        return HttpResponseClientRedirect(_customer_url(customer)) if request.htmx else redirect(_customer_url(customer))
    except CustomerError as exc:
        return _answer(request, customer, error=str(exc.message))
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if outcome.qualified:
        response = _answer(request, customer, message=_("Every item is checked: the customer is now qualified."))
        if is_partial(request):  # the stage badge of the page header changes too (htmx out-of-band swap)
            response.content += format_html(
                '<span class="badge text-bg-info text-nowrap" id="customer-stage" data-testid="customer-stage" hx-swap-oob="true">{}</span>',
                customer.get_stage_display(),
            ).encode()
        return response
    return _answer(request, customer, message=_("Checklist saved."))


class ItemForm(forms.ModelForm):
    class Meta:
        model = QualificationItem
        fields = list(q.ITEM_FIELDS)
        widgets = {"position": forms.NumberInput(attrs={"style": "max-width:6rem"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self, small=True)
        self.fields["name"].required = False  # an empty extra row is skipped; a named row needs its name (service)


ItemFormSet = modelformset_factory(QualificationItem, form=ItemForm, extra=2, can_delete=False)


def _rows(formset) -> list[dict]:
    rows = []
    for form in formset.forms:
        if form.instance.pk is None and not form.has_changed():
            continue
        data = {f: form.cleaned_data.get(f) for f in q.ITEM_FIELDS}
        data["position"] = data["position"] or 0
        data["is_active"] = bool(data["is_active"])
        rows.append({"id": form.instance.pk, **data})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def qualification_items_view(request):
    """Admins only: rename, reorder, (de)activate and add checklist items (no deleting)."""
    if not can_edit_qualification_items(request.user):
        messages.warning(request, _("Only administrators change the qualification checklist."))
        return redirect("customers:list")
    queryset = QualificationItem.objects.order_by("position", "id")
    formset = ItemFormSet(request.POST or None, queryset=queryset)
    if request.method == "POST" and formset.is_valid():
        try:
            q.qualification_items_save(actor=request.user, rows=_rows(formset))
        except CustomerError as exc:
            formset._non_form_errors = formset.error_class([str(exc.message)])
        else:
            messages.success(request, _("Qualification checklist saved."))
            return redirect("customers:qualification-items")
    return render(request, "customers/qualification_settings.html", {"formset": formset, "nav": "customers"})

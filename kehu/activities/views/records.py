"""The follow-up panel of the customer page: log (htmx, no page reload; a plain POST works
too), plan, reschedule, cancel, edit, delete, and the customer's timeline.

Every route names the customer right after "customers/" and looks it up through the
visibility scope first (404 otherwise); an activity is then looked up among that
customer's (its id travels as `?activity=` or a form field). Who may act is decided by the
services; a user who sees the customer but may not act is sent back with a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from kehu.activities import selectors, services
from kehu.activities.errors import ActivityError
from kehu.activities.forms import ActivityEditForm, ActivityLogForm, ActivityPlanForm, CancelPlannedForm, customer_contacts
from kehu.activities.models import Activity
from kehu.activities.permissions import activity_change_problem, can_log_activity
from kehu.core.views import is_partial, refuse
from kehu.customers.selectors import customer_get_visible_or_404

PANEL_LIMIT = 30
PAGE_LIMIT = 300
PANEL = "activities/partials/panel.html"


def _customer_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "#activities"


def _back(request, customer, message=None):
    """Back to the customer page with a message (htmx: the whole page, not into the panel)."""
    return refuse(request, message or _("You may not log follow-ups for this customer."), _customer_url(customer))


def _add_error(form, exc: ActivityError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def panel_context(request, customer, *, log_form=None, plan_form=None, open_form: str = "", message: str = "") -> dict:
    """What the follow-up panel shows: the forms, the open planned follow-ups, the timeline."""
    user = request.user
    planned = selectors.planned_open(customer=customer, user=user)
    can_log = can_log_activity(user, customer)
    if can_log:
        contacts = customer_contacts(customer)
        log_form = log_form or ActivityLogForm(
            customer=customer, planned=planned, fulfils=selectors.fulfils_default(planned), contacts=contacts,
        )
        plan_form = plan_form or ActivityPlanForm(customer=customer, contacts=contacts)
    return {
        "customer": customer,
        "can_log": can_log,
        "log_form": log_form,
        "plan_form": plan_form,
        "open_form": open_form,
        "message": message,
        "planned": planned,
        "timeline": name_opportunities(selectors.customer_timeline(customer=customer, user=user, limit=PANEL_LIMIT, planned=planned),
                                       customer=customer),
        "timeline_limit": PANEL_LIMIT,
    }


def name_opportunities(entries, customer=None) -> list:
    """Attach their opportunity (title, code) to the activities of timeline `entries` that
    name one: one query for all of them, none when no entry names one or (on the customer page)
    when the opportunities its deals panel reads hold them all."""
    activities = [e.obj for e in entries if e.kind == "activity" and getattr(e.obj, "opportunity_id", None)]
    ids = {a.opportunity_id for a in activities}
    if ids:
        from kehu.sales.models import Opportunity
        from kehu.sales.selectors import page_opportunities_by_id

        found = page_opportunities_by_id(customer) if customer is not None else None
        if found is None or not ids <= found.keys():
            found = {o.pk: o for o in Opportunity.objects.filter(pk__in=ids).only("pk", "code", "title", "customer_id")}
        for a in activities:
            if a.opportunity_id in found:
                a.opportunity = found[a.opportunity_id]
    return entries


def render_panel(request, customer, **kwargs) -> str:
    """The panel as HTML (the customer page includes it through the `activity_panel` tag)."""
    return render_to_string(PANEL, panel_context(request, customer, **kwargs), request=request)


def _page(request, customer, template, context):
    return render(request, template, {"customer": customer, "nav": "customers", **context})


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def activity_log_view(request, pk):
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if not can_log_activity(request.user, customer):
        return _back(request, customer)
    planned = selectors.planned_open(customer=customer, user=request.user)
    if request.method == "POST":
        form = ActivityLogForm(request.POST, customer=customer, planned=planned)
        if form.is_valid():
            try:
                services.activity_log(actor=request.user, customer=customer, **form.service_arguments())
            except ActivityError as exc:
                _add_error(form, exc)
            except PermissionDenied:
                return _back(request, customer)
            else:
                done = _("Follow-up logged.")
                if is_partial(request):
                    return render(request, PANEL, panel_context(request, customer, message=done))
                messages.success(request, done)
                return redirect(_customer_url(customer))
    else:
        wanted = request.GET.get("fulfils")
        fulfils = selectors.activity_for_customer_or_404(user=request.user, customer=customer, pk=wanted) if wanted else None
        if fulfils is not None and fulfils.status != Activity.Status.PLANNED:
            fulfils = None
        form = ActivityLogForm(customer=customer, planned=planned, fulfils=fulfils or selectors.fulfils_default(planned))
    if is_partial(request):
        return render(request, PANEL, panel_context(request, customer, log_form=form, open_form="log"))
    return _page(request, customer, "activities/activity_log.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def activity_plan_view(request, pk):
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if not can_log_activity(request.user, customer):
        return _back(request, customer)
    form = ActivityPlanForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.activity_plan(actor=request.user, customer=customer, **form.service_arguments())
        except ActivityError as exc:
            _add_error(form, exc)
        except PermissionDenied:
            return _back(request, customer)
        else:
            done = _("Follow-up planned for %(date)s.") % {"date": plan.due_on.isoformat()}
            if is_partial(request):
                return render(request, PANEL, panel_context(request, customer, message=done))
            messages.success(request, done)
            return redirect(_customer_url(customer))
    if is_partial(request):
        return render(request, PANEL, panel_context(request, customer, plan_form=form, open_form="plan"))
    return _page(request, customer, "activities/activity_plan.html", {"form": form})


@login_required
@require_GET
@vary_on_headers("HX-Request")
def customer_timeline_view(request, pk):
    """The whole timeline as a page; htmx asks for the list alone (to refresh it in place)."""
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    if is_partial(request):
        entries = name_opportunities(selectors.customer_timeline(customer=customer, user=request.user, limit=PANEL_LIMIT))
        return render(request, "activities/partials/timeline.html", {"customer": customer, "timeline": entries, "timeline_limit": PANEL_LIMIT})
    entries = name_opportunities(selectors.customer_timeline(customer=customer, user=request.user, limit=PAGE_LIMIT))
    return _page(request, customer, "activities/customer_timeline.html", {"timeline": entries, "timeline_limit": PAGE_LIMIT, "full": True})


def _activity_or_back(request, customer):
    """The activity named by `activity` (query or form), or None when none is named."""
    wanted = request.POST.get("activity") if request.method == "POST" else request.GET.get("activity")
    if not wanted:
        return None
    return selectors.activity_for_customer_or_404(user=request.user, customer=customer, pk=wanted)


def _may_change(request, customer, activity):
    problem = activity_change_problem(request.user, activity)
    return None if problem is None else _back(request, customer, problem)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit_view(request, pk):
    """Edit a logged activity, or reschedule a planned follow-up."""
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    activity = _activity_or_back(request, customer)
    if activity is None:
        return redirect(_customer_url(customer))
    refused = _may_change(request, customer, activity)
    if refused:
        return refused
    form = ActivityEditForm(request.POST or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=request.user, activity=activity, data=form.service_arguments())
        except ActivityError as exc:
            _add_error(form, exc)
        except PermissionDenied:
            return _back(request, customer)
        else:
            messages.success(request, _("Follow-up saved.") if activity.is_logged else _("Planned follow-up rescheduled."))
            return redirect(_customer_url(customer))
    return _page(request, customer, "activities/activity_edit.html", {"form": form, "activity": activity})


@login_required
@require_http_methods(["GET", "POST"])
def activity_delete_view(request, pk):
    """Delete a logged activity, after a confirmation page."""
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    activity = _activity_or_back(request, customer)
    if activity is None:
        return redirect(_customer_url(customer))
    refused = _may_change(request, customer, activity)
    if refused:
        return refused
    if not activity.is_logged:
        return _back(request, customer, _("Planned follow-ups are cancelled, not deleted."))
    if request.method == "POST":
        try:
            services.activity_delete(actor=request.user, activity=activity)
        except ActivityError as exc:
            return _back(request, customer, exc.message)
        except PermissionDenied:
            return _back(request, customer)
        messages.success(request, _("Follow-up deleted. Its content stays in the history."))
        return redirect(_customer_url(customer))
    return _page(request, customer, "activities/activity_confirm_delete.html", {"activity": activity, "when": selectors.moment_text(activity.at)})


@login_required
@require_http_methods(["GET", "POST"])
def activity_cancel_view(request, pk):
    """Cancel a planned follow-up, with a reason."""
    customer = customer_get_visible_or_404(user=request.user, pk=pk)
    activity = _activity_or_back(request, customer)
    if activity is None:
        return redirect(_customer_url(customer))
    refused = _may_change(request, customer, activity)
    if refused:
        return refused
    if activity.status != Activity.Status.PLANNED:
        return _back(request, customer, _("That planned follow-up is no longer open."))
    form = CancelPlannedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_cancel_planned(actor=request.user, activity=activity, reason=form.cleaned_data["reason"])
        except ActivityError as exc:
            _add_error(form, exc)
        except PermissionDenied:
            return _back(request, customer)
        else:
            messages.success(request, _("Planned follow-up cancelled."))
            return redirect(_customer_url(customer))
    return _page(request, customer, "activities/activity_cancel.html", {"form": form, "activity": activity})


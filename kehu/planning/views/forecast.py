"""The weekly forecast pages (issue 11): the rep's grid with its inline lines and the
submission form, one submission as it was, a rep's history, the forecast settings.

A rep works on their own grid; a manager, the director and finance read a rep's grid (`?rep=`)
without editing it. Another rep's opportunity or submission is 404."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.errors import StaleEdit
from kehu.core.forms import seen_sign, seen_values
from kehu.core.pagination import paginate
from kehu.core.views import is_partial, refuse
from kehu.planning.errors import PlanningError
from kehu.planning.forms_forecast import ForecastLineForm, ForecastSubmitForm, PlanningSettingsForm
from kehu.planning.models import PlanningSettings
from kehu.planning.periods import forecast_periods
from kehu.planning.permissions import can_edit_planning_settings, can_submit_forecast, can_view_planning
from kehu.planning.querysets import planning_users
from kehu.planning.selectors.forecasts import (
    forecast_grid,
    forecast_rep_get_visible_or_404,
    grid_line,
    grid_stages,
    prefill_many,
    rep_latest_by_period,
    snapshot_lines,
    submission_get_visible_or_404,
    submission_history,
    submission_status,
    this_week,
)
from kehu.planning.services.forecasts import forecast_line_save, forecast_submit, planning_settings_update
from kehu.sales.errors import SalesError
from kehu.sales.permissions import can_edit_opportunity
from kehu.sales.selectors import opportunity_get_visible_or_404

SEEN_FIELDS = ("expected_close_on", "amount", "product_lines", "stage", "probability", "forecast_category")


def _check_view(user) -> None:
    if not can_view_planning(user):
        raise PermissionDenied


def _rep(request, data, *, include_inactive: bool = False):
    """The rep whose forecast is shown: `?rep=` among those the user sees (else 404; a
    deactivated rep only with `include_inactive`), the user themself for a rep, else the first
    active rep they see (None when they see none)."""
    wanted = data.get("rep")
    if wanted:
        return forecast_rep_get_visible_or_404(user=request.user, pk=wanted, include_inactive=include_inactive)
    if request.user.is_rep:
        return request.user
    return planning_users(request.user).first()


def _period(data, today):
    periods = forecast_periods(today)
    wanted = (data.get("period") or "").strip().upper()
    return next((p for p in periods if p.label == wanted), periods[0]), periods


def _decorate(line, *, user, can_edit: bool):
    """What a row template needs beyond the line: whether this user edits it here (their own
    grid, and the sales rules let them edit the opportunity) and the signed values it shows."""
    line.editable = can_edit and can_edit_opportunity(user, line.opportunity)
    line.locked = can_edit and not line.editable
    if line.editable:
        line.seen = seen_sign(seen_values(line.opportunity, SEEN_FIELDS))
    return line


def _prefill_json(prefilled: dict) -> str:
    return json.dumps({label: [str(commit), str(best)] for label, (commit, best) in prefilled.items()})


def _grid_url(period, rep=None, user=None) -> str:
    url = reverse("planning:forecast") + f"?period={period.label}"
    if rep is not None and user is not None and rep.pk != user.pk:
        url += f"&rep={rep.pk}"
    return url


@login_required
@require_GET
def forecast_view(request):
    _check_view(request.user)
    today = timezone.localdate()
    period, periods = _period(request.GET, today)
    rep = _rep(request, request.GET)
    return render(request, "planning/forecast_grid.html", _grid_context(request, today=today, period=period, periods=periods, rep=rep))


def _grid_context(request, *, today, period, periods, rep, submit_form=None) -> dict:
    """The grid page's context; `submit_form`: a bound submission form to show again (with the
    rep's numbers and its errors) instead of the pre-filled one."""
    context = {"nav": "forecast", "period": period, "periods": periods, "rep": rep, "today": today,
               "reps": planning_users(request.user) if not request.user.is_rep else [],
               "can_edit_settings": can_edit_planning_settings(request.user)}
    if rep is None:
        return context
    settings = PlanningSettings.load()
    week_start, cutoff = this_week(today=today, settings=settings)
    can_edit = can_submit_forecast(request.user) and rep.pk == request.user.pk
    grid = forecast_grid(user=request.user, rep=rep, period=period, today=today)
    for line in grid.lines:
        _decorate(line, user=request.user, can_edit=can_edit)
    prefilled = prefill_many(rep=rep, periods=periods)
    latest = rep_latest_by_period(rep=rep, periods=periods)
    if submit_form is None:
        submit_form = ForecastSubmitForm(periods=periods, initial_numbers=prefilled) if can_edit else None
    elif can_edit:
        submit_form.fields_initial(prefilled)
    context.update({
        "grid": grid, "stages": grid_stages() if can_edit else [], "can_edit": can_edit,
        "categories": ForecastLineForm.base_fields["forecast_category"].choices,
        "prefilled": prefilled, "latest": [(p, latest.get(p.label), prefilled[p.label]) for p in periods],
        "submit_form": submit_form, "prefill_json": _prefill_json(prefilled), "week_start": week_start, "cutoff": cutoff,
        "status": submission_status(reps=[rep], today=today, settings=settings)[rep.pk],
    })
    return context


@login_required
@require_POST
def forecast_line_view(request, pk):
    """One line of the grid saved through the sales services; htmx gets the row back (with the
    message of a refused save in it) and the totals, a plain form post the grid."""
    _check_view(request.user)
    opportunity = opportunity_get_visible_or_404(user=request.user, pk=pk)
    today = timezone.localdate()
    period, _periods = _period(request.POST, today)
    if not can_submit_forecast(request.user) or opportunity.owner_id != request.user.pk:
        return refuse(request, _("Only the opportunity's rep changes it on the forecast grid."), _grid_url(period))
    form = ForecastLineForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            opportunity = forecast_line_save(actor=request.user, opportunity=opportunity, **form.service_arguments())
        except StaleEdit as exc:
            error = exc.message
        except SalesError as exc:
            error = exc.message
        except PermissionDenied:
            error = _("You may not change this opportunity.")
    else:
        error = " ".join(f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
                         for name, errors in form.errors.items())
    if not is_partial(request):
        if error:
            messages.error(request, f"{opportunity.code}: {error}")
        else:
            messages.success(request, _("Opportunity %(code)s saved.") % {"code": opportunity.code})
        return redirect(_grid_url(period))
    if error:
        opportunity.refresh_from_db()
    line = _decorate(grid_line(opportunity, period, today), user=request.user, can_edit=True)
    grid = forecast_grid(user=request.user, rep=request.user, period=period, today=today)
    return render(request, "planning/partials/forecast_line.html", {
        "line": line, "period": period, "can_edit": True, "stages": grid_stages(), "error": error, "saved": not error,
        "categories": ForecastLineForm.base_fields["forecast_category"].choices, "grid": grid, "oob": True,
        "prefill_json": _prefill_json(prefill_many(rep=request.user, periods=forecast_periods(today))),
    })


@login_required
@require_POST
def forecast_submit_view(request):
    if not can_submit_forecast(request.user):
        return refuse(request, _("Only a rep submits a forecast, their own."), "planning:forecast")
    today = timezone.localdate()
    period, periods = _period(request.POST, today)
    form = ForecastSubmitForm(request.POST, periods=periods)
    error = ""
    if form.is_valid():
        try:
            forecast_submit(actor=request.user, numbers=form.numbers(), today=today)
        except PlanningError as exc:
            error = exc.message
        else:
            messages.success(request, _("Forecast submitted for %(periods)s.") % {"periods": ", ".join(p.label for p in periods)})
            return redirect(_grid_url(period))
    # Shown again with what the rep typed, each bad number marked: nothing was submitted.
    messages.error(request, error or _("Nothing was submitted; correct the marked numbers."))
    context = _grid_context(request, today=today, period=period, periods=periods, rep=request.user, submit_form=form)
    return render(request, "planning/forecast_grid.html", context, status=400)


@login_required
@require_GET
def submission_detail_view(request, pk):
    _check_view(request.user)
    submission = submission_get_visible_or_404(user=request.user, pk=pk)
    return render(request, "planning/forecast_submission.html", {
        "nav": "forecast", "submission": submission, "lines": snapshot_lines(user=request.user, submission=submission),
    })


@login_required
@require_GET
def forecast_history_view(request):
    _check_view(request.user)
    # A deactivated rep's past submissions stay readable to whoever sees their numbers.
    rep = _rep(request, request.GET, include_inactive=True)
    page = paginate(submission_history(user=request.user, rep=rep), params=request.GET) if rep is not None else None
    return render(request, "planning/forecast_history.html", {
        "nav": "forecast", "rep": rep, "page": page,
        "reps": planning_users(request.user, include_inactive=True) if not request.user.is_rep else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
def planning_settings_view(request):
    if not can_edit_planning_settings(request.user):
        raise PermissionDenied
    settings = PlanningSettings.load()
    form = PlanningSettingsForm(request.POST or None, initial={"cutoff_weekday": settings.cutoff_weekday,
                                                              "send_reminders": settings.send_reminders})
    if request.method == "POST" and form.is_valid():
        try:
            planning_settings_update(actor=request.user, **form.cleaned_data)
        except PlanningError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Forecast settings saved."))
            return redirect("planning:settings")
    from kehu.core.forms import style_form

    style_form(form)
    return render(request, "planning/forecast_settings.html", {"nav": "settings", "form": form})

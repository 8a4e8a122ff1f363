"""The scoring settings page (DOMAIN.md §5): admin only. One card per model — window, schedule,
parameters — with its own form, and the date of the model's latest run and next scheduled run.

The two writes (`ranking_settings_update`, `ranking_settings_reset`) are services: permission
check, one transaction, the row locked, audited."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.core.audit import audit_record, diff, snapshot
from kehu.ranking import engine
from kehu.ranking.forms_settings import RankingSettingsForm
from kehu.ranking.models import EvaluationRun, RankingSettings
from kehu.ranking.services import DEFAULTS, MAX_WINDOW_MONTHS, RankingError, latest_run, params_json, resolve_params

AUDITED = ("window_months", "every_months", "params")


def can_edit_ranking_settings(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_admin_role)


def months_after(d: date, months: int) -> date:
    """d + months calendar months, the day clamped to the month's end (the reverse of
    `engine.months_before`: 2024-01-31 + 1 = 2024-02-29)."""
    return engine.months_before(d, -months)


def next_scheduled_run(conf: RankingSettings, last: EvaluationRun | None, *, today: date) -> date | None:
    """When `kehu daily` will run the model next: never (None) with every_months = 0, today
    when never run, else the latest run's as-of date + every_months (today if already past)."""
    if not conf.every_months:
        return None
    if last is None:
        return today
    return max(months_after(last.as_of, conf.every_months), today)


# ---------------------------------------------------------------------------- services


def _lock(model: str) -> RankingSettings:
    RankingSettings.load(model)
    return RankingSettings.objects.select_for_update().get(model=model)


def ranking_settings_update(*, actor, model: str, window_months: int, every_months: int, params: dict) -> RankingSettings:
    """Store one model's settings: `params` are only those that differ from the defaults."""
    if not can_edit_ranking_settings(actor):
        raise PermissionDenied(_("Only an administrator may change the scoring settings."))
    resolve_params(model, None)  # unknown model: a translated RankingError
    if not isinstance(window_months, int) or not (1 <= window_months <= MAX_WINDOW_MONTHS):
        raise RankingError(_("The window must be from 1 to %(max)d months.") % {"max": MAX_WINDOW_MONTHS})
    if not isinstance(every_months, int) or not (0 <= every_months <= MAX_WINDOW_MONTHS):
        raise RankingError(_("Run every must be from 0 to %(max)d months.") % {"max": MAX_WINDOW_MONTHS})
    full = resolve_params(model, params)
    defaults = DEFAULTS[model]
    stored = params_json({k: v for k, v in full.items() if v != defaults[k]})
    with transaction.atomic():
        conf = _lock(model)
        before = snapshot(conf, AUDITED)
        conf.window_months, conf.every_months, conf.params, conf.updated_by = window_months, every_months, stored, actor
        conf.save()
        changes = diff(before, snapshot(conf, AUDITED))
        if changes:
            audit_record(actor=actor, verb="update", obj=conf, changes=changes, note=_("Scoring settings"))
    return conf


def ranking_settings_reset(*, actor, model: str) -> RankingSettings:
    """Back to the defaults of DOMAIN.md §5: window 12 months, the default schedule, no parameters."""
    return ranking_settings_update(
        actor=actor, model=model, window_months=12,
        every_months=RankingSettings.SCHEDULE_DEFAULTS.get(model, 1), params={},
    )


# ---------------------------------------------------------------------------- views


def _cards(forms: dict, *, today: date) -> list[dict]:
    cards = []
    for model in DEFAULTS:
        form = forms[model]
        last = latest_run(model)
        cards.append({
            "model": model,
            "title": EvaluationRun.Model(model).label,
            "form": form,
            "latest": last,
            "next": next_scheduled_run(form.conf, last, today=today),
        })
    return cards


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request):
    from django.utils import timezone

    user = request.user
    if not can_edit_ranking_settings(user):
        raise PermissionDenied
    posted = request.POST.get("model") if request.method == "POST" else None
    if request.method == "POST" and posted not in DEFAULTS:
        messages.error(request, _("Unknown model."))
        return redirect("ranking:settings")
    forms = {}
    for model in DEFAULTS:
        forms[model] = RankingSettingsForm(request.POST if model == posted else None, model=model,
                                           conf=RankingSettings.load(model))
    if posted:
        form = forms[posted]
        if form.is_valid():
            try:
                ranking_settings_update(
                    actor=user, model=posted, window_months=form.cleaned_data["window_months"],
                    every_months=form.cleaned_data["every_months"], params=form.cleaned_data["params"],
                )
            except RankingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Settings of the %(model)s model saved.") % {"model": EvaluationRun.Model(posted).label})
                return redirect(reverse("ranking:settings") + f"#model-{posted}")
    return render(request, "ranking/settings.html", {
        "cards": _cards(forms, today=timezone.localdate()), "posted": posted, "nav": "ranking",
    })


@login_required
@require_POST
def settings_reset_view(request):
    if not can_edit_ranking_settings(request.user):
        raise PermissionDenied
    model = request.POST.get("model")
    try:
        ranking_settings_reset(actor=request.user, model=model)
    except RankingError as exc:
        messages.error(request, str(exc))
        return redirect("ranking:settings")
    messages.success(request, _("Settings of the %(model)s model reset to the defaults.") % {"model": EvaluationRun.Model(model).label})
    return redirect(reverse("ranking:settings") + f"#model-{model}")

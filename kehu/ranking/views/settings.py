"""The scoring settings page (DOMAIN.md §5): admin only. One card per model — window, schedule,
parameters — with its own form, and the date of the model's latest run and next scheduled run.
The writes are `services.ranking_settings_save` / `ranking_settings_reset`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.core.errors import StaleEdit
from kehu.ranking import selectors
from kehu.ranking.errors import RankingError
from kehu.ranking.forms import RankingSettingsForm
from kehu.ranking.models import EvaluationRun, RankingSettings
from kehu.ranking.permissions import can_edit_ranking_settings
from kehu.ranking.scoring import DEFAULTS
from kehu.ranking.services import ranking_settings_reset, ranking_settings_save


def _cards(forms: dict) -> list[dict]:
    today = timezone.localdate()
    cards = []
    for model in DEFAULTS:
        form = forms[model]
        last = selectors.latest_run(model)
        cards.append({
            "model": model,
            "title": EvaluationRun.Model(model).label,
            "form": form,
            "latest": last,
            "next": selectors.next_scheduled_run(form.conf, last, today=today),
        })
    return cards


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request):
    user = request.user
    if not can_edit_ranking_settings(user):
        raise PermissionDenied
    posted = request.POST.get("model") if request.method == "POST" else None
    if request.method == "POST" and posted not in DEFAULTS:
        messages.error(request, _("Unknown model."))
        return redirect("ranking:settings")
    forms = {
        model: RankingSettingsForm(request.POST if model == posted else None, model=model, conf=RankingSettings.load(model))
        for model in DEFAULTS
    }
    if posted:
        form = forms[posted]
        if form.is_valid():
            try:
                ranking_settings_save(
                    actor=user, model=posted, window_months=form.cleaned_data["window_months"],
                    every_months=form.cleaned_data["every_months"], params=form.cleaned_data["params"], seen=form.seen,
                )
            except StaleEdit as exc:
                form.add_stale_error(exc)
            except RankingError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Settings of the %(model)s model saved.") % {"model": EvaluationRun.Model(posted).label})
                return redirect(reverse("ranking:settings") + f"#model-{posted}")
    return render(request, "ranking/settings.html", {"cards": _cards(forms), "posted": posted, "nav": "settings"})


@login_required
@require_POST
def settings_reset_view(request):
    if not can_edit_ranking_settings(request.user):
        raise PermissionDenied
    model = request.POST.get("model")
    try:
        ranking_settings_reset(actor=request.user, model=model)
    except RankingError as exc:
        messages.error(request, exc.message)
        return redirect("ranking:settings")
    messages.success(request, _("Settings of the %(model)s model reset to the defaults.") % {"model": EvaluationRun.Model(model).label})
    return redirect(reverse("ranking:settings") + f"#model-{model}")

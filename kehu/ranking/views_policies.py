"""The tier policies page (DOMAIN.md §5.4): admins set, per tier or class, the maximum
discount, payment term, visit interval, commission rate and service notes. Others get 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.core.models import CompanySettings
from kehu.ranking.forms_policies import policy_forms
from kehu.ranking.models import EvaluationRun, TierPolicy
from kehu.ranking.policy import can_edit_policies, tier_policies_set
from kehu.ranking.services import RankingError


@login_required
@require_http_methods(["GET", "POST"])
def policies_view(request):
    if not can_edit_policies(request.user):
        raise PermissionDenied
    rows = {(r.model, r.klass): r for r in TierPolicy.objects.all()}
    forms_by_model = policy_forms(request.POST if request.method == "POST" else None, rows=rows)
    every = [f for fs in forms_by_model.values() for f in fs]
    error = ""
    if request.method == "POST":
        if all(f.is_valid() for f in every):
            try:
                counts = tier_policies_set(actor=request.user, values={(f.model, f.klass): f.cleaned_data for f in every})
            except RankingError as exc:
                error = str(exc)
            else:
                if any(counts.values()):
                    messages.success(request, _("Tier policies saved: %(created)d new, %(changed)d changed, %(deleted)d cleared.") % counts)
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect(reverse("ranking:policies"))
        else:
            error = _("Some values are not valid; nothing was saved.")
    titles = dict(EvaluationRun.Model.choices)
    tables = [{"model": model, "title": titles[model], "forms": forms_by_model[model]} for model in ("key_account", "value", "pyramid")]
    return render(request, "ranking/policies.html", {
        "nav": "settings", "tables": tables, "conf": CompanySettings.load(), "error": error,
    })

"""The tier policies page (DOMAIN.md §5.4): admins set, per tier or class, the maximum
discount, payment term, visit interval, commission rate and service notes. Others get 403.
The page saves every row at once (`services.tier_policies_set`); it carries the whole set as
it was opened (`seen`), so a page opened before another admin's save is refused."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.core.errors import StaleEdit
from kehu.core.forms import seen_load, seen_sign, seen_values
from kehu.core.models import CompanySettings
from kehu.ranking.errors import RankingError
from kehu.ranking.forms import policy_forms
from kehu.ranking.models import EvaluationRun, TierPolicy
from kehu.ranking.permissions import can_edit_policies
from kehu.ranking.services import tier_policies_set
from kehu.ranking.snapshots import policies_snapshot


def _seen_token(rows) -> str:
    snap = policies_snapshot(rows)
    return seen_sign(seen_values(snap, snap.values))


@login_required
@require_http_methods(["GET", "POST"])
def policies_view(request):
    if not can_edit_policies(request.user):
        raise PermissionDenied
    saved = list(TierPolicy.objects.all())
    rows = {(r.model, r.klass): r for r in saved}
    forms_by_model = policy_forms(request.POST if request.method == "POST" else None, rows=rows)
    every = [f for fs in forms_by_model.values() for f in fs]
    error, changes = "", []
    seen = request.POST.get("seen", "") if request.method == "POST" else _seen_token(saved)
    if request.method == "POST":
        if all(f.is_valid() for f in every):
            try:
                counts = tier_policies_set(
                    actor=request.user, values={(f.model, f.klass): f.cleaned_data for f in every}, seen=seen_load(seen),
                )
            except StaleEdit as exc:
                # the user's input stays on the page; the next save compares with what they have now seen
                error, changes, seen = exc.message, exc.changes, _seen_token(None)
            except RankingError as exc:
                error = exc.message
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
        "nav": "settings", "tables": tables, "conf": CompanySettings.load(), "error": error, "changes": changes, "seen": seen,
    })

"""The scoring settings (DOMAIN.md §5): one row per model — window, schedule, the parameters
that differ from the defaults. Admins only; audited; a save made from a card opened before
somebody else's save is refused (the stale-edit guard, `seen`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kehu.core.audit import audit_note, audit_record, diff, snapshot
from kehu.core.forms import check_not_stale
from kehu.ranking.errors import RankingError
from kehu.ranking.models import RankingSettings
from kehu.ranking.params import MAX_WINDOW_MONTHS, PARAMETER_TEXT, params_json, resolve_params
from kehu.ranking.permissions import can_edit_ranking_settings
from kehu.ranking.scoring import DEFAULTS
from kehu.ranking.snapshots import param_field_name, settings_snapshot

AUDITED = ("window_months", "every_months", "params")
LABELS = {"window_months": gettext_lazy("Window (months)"), "every_months": gettext_lazy("Run every (months)")}


def settings_labels(model: str) -> dict:
    """{form field: label} of one model's card, for the stale-edit message."""
    labels = dict(LABELS)
    labels.update({param_field_name(name): label for name, (label, _help) in PARAMETER_TEXT.get(model, {}).items()})
    return labels


def _lock(model: str) -> RankingSettings:
    RankingSettings.load(model)
    return RankingSettings.objects.select_for_update().get(model=model)


def ranking_settings_save(
    *, actor, model: str, window_months: int, every_months: int, params: dict, seen: dict | None = None,
) -> RankingSettings:
    """Store one model's settings: `params` are only those that differ from the defaults.
    `seen`: the card's values when it was opened (`StaleEdit` when somebody changed one since)."""
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
        check_not_stale(settings_snapshot(conf), seen, labels=settings_labels(model))
        before = snapshot(conf, AUDITED)
        conf.window_months, conf.every_months, conf.params, conf.updated_by = window_months, every_months, stored, actor
        conf.save()
        changes = diff(before, snapshot(conf, AUDITED))
        if changes:
            audit_record(actor=actor, verb="update", obj=conf, changes=changes, note=audit_note(gettext_noop("Scoring settings")))
    return conf


def ranking_settings_reset(*, actor, model: str) -> RankingSettings:
    """Back to the defaults of DOMAIN.md §5: window 12 months, the default schedule, no parameters."""
    return ranking_settings_save(
        actor=actor, model=model, window_months=12,
        every_months=RankingSettings.SCHEDULE_DEFAULTS.get(model, 1), params={},
    )

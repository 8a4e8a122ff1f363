"""The tier policies page's write (DOMAIN.md §5.4): every policy row saved at once, all or
nothing, audited per row; admins only. The page shows the whole set and saves the whole set,
so the stale-edit guard covers the whole set: a page opened before another admin's save is
refused, naming each value that changed meanwhile, instead of overwriting their edits."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.errors import StaleEdit
from kehu.core.forms import check_not_stale
from kehu.core.models import AuditEvent, CompanySettings
from kehu.ranking.errors import RankingError
from kehu.ranking.models import TierPolicy
from kehu.ranking.permissions import can_edit_policies
from kehu.ranking.policy import EDITABLE, FIELD_LABELS, MAX_DAYS, model_classes, policy_label
from kehu.ranking.snapshots import policies_snapshot, policy_field_key

HUNDRED = Decimal(100)


def policies_labels() -> dict:
    """{"<model>-<class>-<field>": "Small (pyramid tier): Payment term (days)"} for the stale-edit message."""
    return {
        policy_field_key(model, klass, name): f"{policy_label(model, klass)}: {FIELD_LABELS[name]}"
        for model, classes in model_classes().items()
        for klass, _label in classes
        for name in EDITABLE
    }


def _clean_percent(value, label):
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except ArithmeticError:
        raise RankingError(_("%(field)s: enter a number.") % {"field": label}) from None
    if not number.is_finite() or not Decimal(0) <= number <= HUNDRED or number != number.quantize(Decimal("0.01")):
        raise RankingError(_("%(field)s: a percentage from 0 to 100 with at most 2 decimals.") % {"field": label})
    return number.quantize(Decimal("0.01"))


def _clean_days(value, label):
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise RankingError(_("%(field)s: a whole number of days, 0 or more.") % {"field": label})
    days = int(value)
    if not 0 <= days <= MAX_DAYS:
        raise RankingError(_("%(field)s: from 0 to %(max)d days.") % {"field": label, "max": MAX_DAYS})
    return days


def _snap(row: TierPolicy | None) -> dict:
    if row is None:
        return {name: None for name in EDITABLE}
    values = {name: getattr(row, name) for name in EDITABLE}
    return {k: (str(v.quantize(Decimal("0.01"))) if isinstance(v, Decimal) else v) for k, v in values.items()}


def tier_policies_set(*, actor, values: dict, seen: dict | None = None) -> dict:
    """Save the policies of the page: `values` = {(model, class): {field: value}} for the rows
    given (rows not given are left alone). A row with every field blank is deleted (not
    created). All or nothing, in one transaction; one audit event per changed row.
    `seen`: the whole set as the page showed it (`kehu.ranking.snapshots.policies_values`);
    `StaleEdit` when any value changed since. Returns {"created": n, "changed": n, "deleted": n}."""
    if not can_edit_policies(actor):
        raise PermissionDenied
    known = {(m, k) for m, classes in model_classes().items() for k, _label in classes}
    cleaned = {}
    for key, data in values.items():
        if key not in known:
            raise RankingError(_("Unknown tier or class: %(key)s.") % {"key": ":".join(map(str, key))})
        label = policy_label(*key)
        notes = (data.get("service_notes") or "").strip()
        if len(notes) > 4000:
            raise RankingError(_("%(field)s: at most 4000 characters.") % {"field": label})
        cleaned[key] = {
            "max_discount_pct": _clean_percent(data.get("max_discount_pct"), label),
            "payment_term_days": _clean_days(data.get("payment_term_days"), label),
            "visit_interval_days": _clean_days(data.get("visit_interval_days"), label),
            "commission_rate_pct": _clean_percent(data.get("commission_rate_pct"), label),
            "service_notes": notes,
        }
    counts = {"created": 0, "changed": 0, "deleted": 0}
    conf = CompanySettings.load()
    with transaction.atomic():
        # Two admins saving at once take turns (the company settings row is the lock), so a new
        # row is never created twice and the second one compares with what the first saved.
        CompanySettings.objects.select_for_update().filter(pk=conf.pk).first()
        locked = list(TierPolicy.objects.select_for_update().all())
        try:
            check_not_stale(policies_snapshot(locked), seen, labels=policies_labels())
        except StaleEdit as exc:  # the page is a set of rows, not one record: say so
            raise StaleEdit(
                _("Somebody else saved the tier policies after you opened this page. Check their changes below, then save again."),
                changes=exc.changes,
            ) from None
        existing = {(r.model, r.klass): r for r in locked}
        for key, data in cleaned.items():
            row = existing.get(key)
            before = _snap(row)
            blank = all(v in (None, "") for v in data.values())
            if blank:
                if row is not None:
                    audit_record(actor=actor, verb=AuditEvent.Verb.REMOVE, obj=row,
                                 changes={k: [v, None] for k, v in before.items() if v not in (None, "")})
                    row.delete()
                    counts["deleted"] += 1
                continue
            if row is None:
                row = TierPolicy.objects.create(model=key[0], klass=key[1], **data)
                audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=row,
                             changes={k: [None, v] for k, v in _snap(row).items() if v not in (None, "")})
                counts["created"] += 1
                continue
            for name, value in data.items():
                setattr(row, name, value)
            changes = {k: [before[k], v] for k, v in _snap(row).items() if before[k] != v}
            if changes:
                row.save()
                audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=row, changes=changes)
                counts["changed"] += 1
    return counts

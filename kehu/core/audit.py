"""Writing audit events: one helper every service calls."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from kehu.core.models import AuditEvent


def _plain(value):
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict:
    """The current values of `fields` of `obj`, in a JSON-friendly form."""
    result = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.is_relation and not field.many_to_many:
            value = getattr(obj, field.attname)
        else:
            value = getattr(obj, name)
        result[name] = _plain(value)
    return result


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def audit_record(*, actor, verb: str, obj: models.Model, customer=None, changes: dict | None = None, note: str = "") -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        object_label=str(obj)[:255],
        customer=customer,
        changes=changes or {},
        note=note[:500],
    )

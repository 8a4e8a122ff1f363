"""Writing audit events: one helper every service calls, and the system notes they carry.

A note a person types (a handover note, a release reason) is stored as typed. A note the
system writes is stored as a key — its English message, marked for translation with
`gettext_noop` — and its parameters, and becomes a sentence only when it is read, in the
reader's language:

    audit_record(..., note=audit_note(gettext_noop("Credit control passed.")))
    audit_record(..., note=audit_note(gettext_noop("Key-account evaluation #%(run)s"), run=run.pk))

`audit_note_text(event.note)` reads either kind (and the notes stored before, translated at
write time, as they are). A parameter that itself needs translating (a choice value) is
turned into words by a renderer the owning app registers in AUDIT_NOTES, keyed by the message.
"""

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext

from kehu.core.hooks import Hook
from kehu.core.models import AuditEvent

NOTE_MAX = 500
# message -> fn(params: dict) -> the sentence, for notes whose parameters need words (a choice label)
AUDIT_NOTES: Hook[Callable[[dict], str]] = Hook("core.audit_notes")


class AuditNote(str):
    """A system note as stored: {"note": message, "params": {...}} (JSON)."""


def audit_note(message: str, **params) -> AuditNote:
    """The stored form of a system note: its (English) message and plain parameters."""
    return AuditNote(json.dumps({"note": str(message), "params": params}, ensure_ascii=False, sort_keys=True, default=str))


def audit_note_parse(text) -> tuple[str, dict] | None:
    """(message, params) of a stored system note; None for a note a person typed (or an old one)."""
    if not text or not str(text).startswith('{"note":'):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("note"), str) or not isinstance(data.get("params", {}), dict):
        return None
    return data["note"], data.get("params") or {}


def audit_note_text(text) -> str:
    """A stored note as the reader reads it: a system note in the active language, anything
    else as it was written."""
    parsed = audit_note_parse(text)
    if parsed is None:
        return text or ""
    message, params = parsed
    renderer = AUDIT_NOTES.get(message)
    if renderer is not None:
        try:
            return str(renderer(params))
        except Exception:  # a renderer must never break a history page
            pass
    translated = gettext(message)
    if not params:
        return translated
    try:
        return translated % params
    except (KeyError, TypeError, ValueError):
        return translated


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


def typed_note(text: str) -> str:
    """Text a person typed, stored where system notes are stored too (a cancel reason): never
    mistaken for a system note."""
    return " " + text if audit_note_parse(text) is not None else text


def _stored_note(note) -> str:
    """What goes into AuditEvent.note: a system note as built by audit_note(); typed text as
    typed, cut to NOTE_MAX, and never mistaken for a system note (a leading space)."""
    note = note or ""
    if isinstance(note, AuditNote):
        if len(note) <= NOTE_MAX:
            return str(note)
        message, _params = audit_note_parse(note)
        return str(audit_note(message))
    return typed_note(str(note))[:NOTE_MAX]


def audit_record(*, actor, verb: str, obj: models.Model, customer=None, changes: dict | None = None, note: str = "") -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        object_label=str(obj)[:255],
        customer=customer,
        changes=changes or {},
        note=_stored_note(note),
    )

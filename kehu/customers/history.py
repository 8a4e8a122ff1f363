"""The customer's history as a person reads it (issue 10, item 16).

Audit events keep their data as they were written (`kehu.core.audit`: field → [old, new],
values in a JSON-friendly form); this module only renders them, in the reader's language:

- one sentence per event naming who did what to which record ("rep1 created contract K000221");
- one line per changed field: the field's verbose name, choices by their label, people,
  customers and other records by name, dates as dates, moments in the company's time, money
  with its currency symbol, payment plans and order lines summarised ("Payment plan: 3
  instalments, total ¥120,000.00"), a credit check as the figures it weighed;
- system notes (kehu.core.audit.audit_note) in the reader's language; notes typed by a
  person, and old notes stored as text, as they were written.

Names are fetched in one query per kind of record named, whatever the number of events.
Customers sits below sales and finance: their models are found by name in the app registry,
never imported.
"""

import functools
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from kehu.core.audit import audit_note_text
from kehu.core.fields import MoneyField
from kehu.core.models import AuditEvent
from kehu.core.money import MoneyError, format_money
from kehu.customers.models import CompanyProfile, Contact, Customer, PersonProfile

SENSITIVE_FIELDS = {"bank_account", "id_number", "profile.id_number"}
# Imports record the dataset's column names (DATASET.md); they name these model fields.
DATASET_COLUMNS = {"referrer": "referrer_customer", "birthday": "birth_date"}
DEFAULT_NAME = re.compile(r".+ object \((\d+)\)$")  # Model.__str__ when a model has none of its own

# Keys services record that are not a field of the record: (label, how the value reads).
EXTRA_KEYS = {
    "tags": (gettext_lazy("Tags"), "list"),
    "payment_plan": (gettext_lazy("Payment plan"), "plan"),
    "instalments": (gettext_lazy("Payment plan"), "plan"),
    "order_lines": (gettext_lazy("Order lines"), "order_lines"),
    "line_items": (gettext_lazy("Quote lines"), "line_items"),
    "credit": (gettext_lazy("Credit check"), "credit"),
    "applied": (gettext_lazy("Applied to"), "applied"),
    "total": (gettext_lazy("Total"), "money"),
    "open_amount": (gettext_lazy("Open amount"), "money"),
    "on_account": (gettext_lazy("On account"), "money"),
    "release_reason": (gettext_lazy("Reason for release"), "text"),
    "approval_comment": (gettext_lazy("Approval comment"), "text"),
    "fulfils": (gettext_lazy("Completes the planned follow-up"), "date"),
    "next_due_on": (gettext_lazy("Next follow-up on"), "date"),
}

VERB_SENTENCES = {
    AuditEvent.Verb.CREATE: gettext_lazy("%(actor)s created %(record)s"),
    AuditEvent.Verb.UPDATE: gettext_lazy("%(actor)s changed %(record)s"),
    AuditEvent.Verb.DELETE: gettext_lazy("%(actor)s moved %(record)s to the recycle bin"),
    AuditEvent.Verb.REMOVE: gettext_lazy("%(actor)s removed %(record)s"),
    AuditEvent.Verb.RESTORE: gettext_lazy("%(actor)s restored %(record)s"),
    AuditEvent.Verb.CLAIM: gettext_lazy("%(actor)s claimed %(record)s from the public pool"),
    AuditEvent.Verb.RELEASE: gettext_lazy("%(actor)s released %(record)s to the public pool"),
    AuditEvent.Verb.RETURN: gettext_lazy("%(record)s went back to the public pool automatically"),
    AuditEvent.Verb.HANDOVER: gettext_lazy("%(actor)s handed %(record)s over"),
    AuditEvent.Verb.MERGE: gettext_lazy("%(actor)s merged %(record)s"),
    AuditEvent.Verb.IMPORT: gettext_lazy("%(actor)s imported %(record)s"),
}


# --- which field a key names ----------------------------------------------------------------

@functools.cache
def models_by_name() -> dict:
    return {m._meta.model_name: m for m in django_apps.get_models()}


def _field(model, name):
    """The concrete field `name` (or attname, "stage_id") of `model`; None otherwise."""
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.concrete else None


def history_field(object_type: str, name: str):
    """The model field an audit change key refers to (None for tags and other extra keys)."""
    name = DATASET_COLUMNS.get(name, name)
    if object_type == "contact":
        return _field(Contact, name)
    if object_type != "customer":
        # Records of other apps (activities, archive rows, quotes, orders): their model is
        # found by name in the app registry, so customers imports none of them.
        return _field(models_by_name().get(object_type), name)
    if name.startswith("profile."):
        name = name.removeprefix("profile.")
        return _field(CompanyProfile, name) or _field(PersonProfile, name)
    return _field(Customer, name)


def _label(object_type: str, key: str, field) -> str:
    if field is not None:
        label = capfirst(str(field.verbose_name))
    elif key in EXTRA_KEYS:
        label = capfirst(str(EXTRA_KEYS[key][0]))
    else:
        label = capfirst(key.replace("_", " "))
    if key.startswith("profile."):
        label = _("Profile: %(field)s") % {"field": label}
    return label


# --- names of the records a history mentions (one query per model) ---------------------------

def _display_name(obj) -> str:
    text = str(obj)
    if DEFAULT_NAME.match(text):
        return getattr(obj, "code", "") or f"#{obj.pk}"
    return text


def _natural_key(model) -> str | None:
    """The field an import names a record of `model` by (a username, a code), if any."""
    for name in ("username", "code"):
        if _field(model, name) is not None:
            return name
    return None


class Names:
    """Collects the records a history names — by id, or by username / code as an import
    writes them — then fetches each model's names in one query."""

    def __init__(self):
        self.wanted: dict = defaultdict(set)
        self.found: dict = {}

    def want(self, model, value) -> None:
        if model is None or value in (None, "") or isinstance(value, bool):
            return
        if isinstance(value, int) or (isinstance(value, str) and _natural_key(model)):
            self.wanted[model].add(value)

    def know(self, obj) -> None:
        """A record the caller has loaded already (the customer page's customer, its referrer, owner
        ...): named from it, not fetched again."""
        if obj is None or obj.pk is None:
            return
        key = _natural_key(type(obj))
        found = self.found.setdefault(type(obj), {})
        found[obj.pk] = found[getattr(obj, key) if key else obj.pk] = _display_name(obj)

    def fetch(self) -> None:
        for model, values in self.wanted.items():
            known = self.found.get(model, {})
            ids = {v for v in values if isinstance(v, int) and v not in known}
            keys = {v for v in values if isinstance(v, str) and v not in known}
            key = _natural_key(model)
            found = dict(known)
            if ids or (keys and key):
                query = Q(pk__in=ids)
                if keys and key:
                    query |= Q(**{f"{key}__in": keys})
                for obj in model._base_manager.filter(query):
                    found[obj.pk] = found[getattr(obj, key) if key else obj.pk] = _display_name(obj)
            self.found[model] = found

    def get(self, model, value) -> str:
        fallback = f"#{value}" if isinstance(value, int) else str(value)
        return self.found.get(model, {}).get(value, fallback)


# --- values ------------------------------------------------------------------------------------

def _separator() -> str:
    return pgettext("list separator", ", ")


def _money(value, currency: str) -> str:
    if value in (None, ""):
        return ""
    try:
        return format_money(Decimal(str(value)), currency or "CNY")
    except (InvalidOperation, MoneyError, ArithmeticError, ValueError):
        return str(value)


def _date(value) -> str:
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    moment = parse_datetime(text) if len(text) > 10 else None
    if moment is not None:
        return _moment(moment)
    try:
        day = parse_date(text[:10])
    except ValueError:
        day = None
    return day.isoformat() if day else text


def _moment(value: datetime) -> str:
    """A stored moment in the company's time zone ("2026-10-27 18:00")."""
    try:
        local = timezone.localtime(value) if timezone.is_aware(value) else value
    except OverflowError:
        local = value
    return dateformat.format(local, "Y-m-d H:i")


def _sum_money(values, currency: str) -> str:
    total = Decimal(0)
    for value in values:
        try:
            total += Decimal(str(value))
        except (InvalidOperation, ValueError, TypeError):
            continue
    return format_money(total, currency or "CNY")


def _plan(rows, currency: str) -> str:
    """[[seq, due on, amount], …] → "3 instalments, total ¥120,000.00 (2026-12-06 – 2027-06-06)"."""
    rows = [r for r in rows if isinstance(r, (list, tuple)) and len(r) >= 3]
    if not rows:
        return ""
    text = ngettext("%(count)d instalment, total %(total)s", "%(count)d instalments, total %(total)s", len(rows)) % {
        "count": len(rows), "total": _sum_money((r[2] for r in rows), currency),
    }
    days = sorted(str(r[1])[:10] for r in rows)
    if len(rows) > 1:
        return _("%(plan)s (%(first)s – %(last)s)") % {"plan": text, "first": days[0], "last": days[-1]}
    return _("%(plan)s (%(first)s)") % {"plan": text, "first": days[0]}


def _order_lines(rows, currency: str) -> str:
    """[[product code, quantity, unit price, discount %, unit cost, revenue], …] → "2 lines: P001, P003, total ¥16,000.00"."""
    rows = [r for r in rows if isinstance(r, (list, tuple)) and r]
    if not rows:
        return ""
    return ngettext("%(count)d line (%(products)s), total %(total)s", "%(count)d lines (%(products)s), total %(total)s", len(rows)) % {
        "count": len(rows), "products": _separator().join(str(r[0]) for r in rows),
        "total": _sum_money((r[-1] for r in rows if len(r) >= 6), currency),
    }


def _line_items(items) -> str:
    """["P001 × 3 @ 9800 −12% = 25872.00", …] (a quote's lines as written) → "2 lines (P001, P003)"."""
    items = [str(i) for i in items if i]
    if not items:
        return ""
    return ngettext("%(count)d line (%(products)s)", "%(count)d lines (%(products)s)", len(items)) % {
        "count": len(items), "products": _separator().join(i.split(" ", 1)[0] for i in items),
    }


def _credit(value) -> str:
    """A credit check ({total, reasons: [{code, limit, owed, order, total, …}]}) as the figures it weighed."""
    if not isinstance(value, dict):
        return str(value)
    texts = []
    for reason in value.get("reasons") or []:
        if not isinstance(reason, dict):
            continue
        currency = reason.get("currency") or "CNY"
        if reason.get("code") == "credit_limit":
            texts.append(_("credit limit %(limit)s → in use with this order %(total)s") % {
                "limit": _money(reason.get("limit"), currency), "total": _money(reason.get("total"), currency),
            })
        elif reason.get("code") == "overdue":
            texts.append(_("%(count)s overdue, %(amount)s open, the oldest %(days)s days") % {
                "count": reason.get("count", ""), "amount": _money(reason.get("amount"), currency), "days": reason.get("oldest", ""),
            })
        elif reason.get("code"):
            texts.append(str(reason["code"]))
    return _separator().join(texts)


APPLIED_INSTALMENT = re.compile(r"^(\d+)#(\d+)$")
APPLIED_RECEIVABLE = re.compile(r"^receivable:(\d+)$")


def _applied_names(value, names: Names) -> None:
    if isinstance(value, dict):
        contract = models_by_name().get("contract")
        for key in value:
            m = APPLIED_INSTALMENT.match(str(key))
            if m:
                names.want(contract, int(m.group(1)))


def _applied(value, names: Names, currency: str) -> str:
    """{"17#1": "8000.00", "receivable:3": "500.00"} → "contract K000017 instalment 1 ¥8,000.00, receivable #3 ¥500.00"."""
    if not isinstance(value, dict):
        return str(value)
    contract = models_by_name().get("contract")
    parts = []
    for key, amount in value.items():
        key = str(key)
        if m := APPLIED_INSTALMENT.match(key):
            target = _("contract %(code)s instalment %(seq)s") % {"code": names.get(contract, int(m.group(1))), "seq": m.group(2)}
        elif m := APPLIED_RECEIVABLE.match(key):
            target = _("receivable #%(id)s") % {"id": m.group(1)}
        else:
            target = key
        parts.append(f"{target} {_money(amount, currency)}")
    return _separator().join(parts)


class ValueReader:
    """Turns the stored values of one history into display text."""

    def __init__(self, *, user, customer, names: Names, mask):
        self.user, self.customer, self.names, self.mask = user, customer, names, mask

    def want(self, key, field, value) -> None:
        """Note the records `value` names, to fetch their names in bulk."""
        values = value if isinstance(value, list) and key != "applied" else [value]
        if field is not None and field.is_relation and field.related_model is not None and not field.many_to_many:
            for v in values:
                self.names.want(field.related_model, v)
        if key == "applied":
            _applied_names(value, self.names)

    def show(self, key, field, value, *, currency: str) -> str:
        if value in (None, "", [], {}):
            return ""
        if key in SENSITIVE_FIELDS:
            return self.mask(str(value), user=self.user)
        kind = EXTRA_KEYS[key][1] if field is None and key in EXTRA_KEYS else None
        if kind == "plan":
            return _plan(value, currency) if isinstance(value, list) else str(value)
        if kind == "order_lines":
            return _order_lines(value, currency) if isinstance(value, list) else str(value)
        if kind == "line_items":
            return _line_items(value) if isinstance(value, list) else str(value)
        if kind == "credit":
            return _credit(value)
        if kind == "applied":
            return _applied(value, self.names, currency)
        if kind == "money":
            return _money(value, currency)
        if kind == "date":
            return _date(value)
        if isinstance(value, list):
            return _separator().join(self.show(key, field, v, currency=currency) for v in value if v not in (None, ""))
        if isinstance(value, dict):
            return _separator().join(f"{k} {v}" for k, v in value.items())
        if field is None:
            return str(value)
        if field.is_relation:
            # an id, or a username / code as an import writes it: the record by name
            return self.names.get(field.related_model, value) if isinstance(value, (int, str)) else str(value)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.BooleanField):
            return str(_("yes") if value else _("no"))
        if isinstance(field, MoneyField):
            return _money(value, currency)
        if isinstance(field, models.DateTimeField):
            return _date(value)
        if isinstance(field, models.DateField):
            return _date(value)
        return str(value)


# --- events ----------------------------------------------------------------------------------

def _pair(values) -> tuple:
    if isinstance(values, list) and len(values) == 2:
        return values[0], values[1]
    return None, values  # a value recorded alone (an import's count, a flag)


def _currency(event, customer) -> str:
    changes = event.changes or {}
    pair = changes.get("currency")
    if isinstance(pair, list):
        for value in reversed(pair):
            if value:
                return str(value)
    return customer.currency or "CNY"


def _activity_name(event) -> str:
    """A follow-up named by what the event recorded (its type and time), in the reader's language."""
    changes = event.changes or {}
    model = models_by_name().get("activity")
    kind_field = _field(model, "kind")
    kind = next((v for v in reversed(list(_pair(changes.get("kind"))) if "kind" in changes else []) if v), None)
    when = None
    for key in ("at", "due_on"):
        if key in changes:
            when = next((v for v in reversed(list(_pair(changes[key]))) if v), None)
            if when:
                break
    if kind and kind_field is not None:
        label = str(dict(kind_field.flatchoices).get(kind, kind))
        return f"{label} · {_date(when)}" if when else label
    return event.object_label


class RecordNames:
    """How each event's record is named: its type (the model's verbose name) and its name."""

    def __init__(self, events):
        self.codes: dict = {}
        wanted = defaultdict(set)
        for event in events:
            model = models_by_name().get(event.object_type)
            if model is not None and DEFAULT_NAME.match(event.object_label or "") and _field(model, "code") is not None:
                wanted[model].add(event.object_id)
        for model, ids in wanted.items():
            self.codes[model] = dict(model._base_manager.filter(pk__in=ids).values_list("pk", "code"))

    def name(self, event) -> str:
        model = models_by_name().get(event.object_type)
        kind = str(model._meta.verbose_name) if model is not None else event.object_type
        if event.object_type == "activity":
            name = _activity_name(event)
        elif DEFAULT_NAME.match(event.object_label or ""):
            name = self.codes.get(model, {}).get(event.object_id) or f"#{event.object_id}"
        else:
            name = event.object_label
        return _("%(type)s %(name)s") % {"type": kind, "name": name} if name else kind


def event_title(event, record: str):
    """"<strong>rep1</strong> created contract K000221" (HTML, escaped)."""
    actor = str(event.actor) if event.actor_id and event.actor else _("System")
    sentence = str(VERB_SENTENCES.get(event.verb, gettext_lazy("%(actor)s changed %(record)s")))
    try:
        return mark_safe(escape(sentence) % {"actor": format_html("<strong>{}</strong>", actor), "record": escape(record)})
    except (KeyError, TypeError, ValueError):
        return format_html("<strong>{}</strong> {} {}", actor, event.get_verb_display(), record)


def history_rows(events, *, user, customer, mask) -> list[dict]:
    """Each audit event of `events` as {"event", "title" (HTML), "note", "changes": [{"field",
    "old", "new"}]}, in the active language."""
    events = list(events)
    names = Names()
    # What the customer page has loaded with the customer names itself (no query for them).
    from kehu.customers.selectors import page_memo

    cache = page_memo(customer) is not None and customer._state.fields_cache
    for related in ("referrer_customer", "owner", "previous_owner", "merged_into"):
        if cache and related in cache:
            names.know(cache[related])
    reader = ValueReader(user=user, customer=customer, names=names, mask=mask)
    for event in events:
        for key, values in (event.changes or {}).items():
            field = history_field(event.object_type, key)
            for value in _pair(values):
                reader.want(key, field, value)
    names.fetch()
    records = RecordNames(events)
    rows = []
    for event in events:
        currency = _currency(event, customer)
        changes = []
        for key, values in (event.changes or {}).items():
            field = history_field(event.object_type, key)
            old, new = _pair(values)
            if old in (None, "", [], {}) and new in (None, "", [], {}):
                continue  # nothing either side (a create that left a field empty)
            changes.append({
                "field": _label(event.object_type, key, field),
                "old": reader.show(key, field, old, currency=currency),
                "new": reader.show(key, field, new, currency=currency),
            })
        rows.append({
            "event": event,
            "title": event_title(event, records.name(event)),
            "note": audit_note_text(event.note),
            "changes": changes,
        })
    return rows

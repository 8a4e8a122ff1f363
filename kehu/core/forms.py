"""Form pieces every app uses: Bootstrap styling, dates in range with an ISO value whatever
the language, and the stale-edit guard of shared records."""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.core import signing
from django.utils.translation import gettext as _

from kehu.core.dates import validate_date_in_range
from kehu.core.errors import StaleEdit

EMPTY_CHOICE_LABEL = "—"


class DateInput(forms.DateInput):
    """`<input type=date>` always carries an ISO value (2026-12-06): the browser shows it in
    the user's locale, and a localized value ("2026/12/06") would leave the field empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def format_value(self, value):
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat()
        return super().format_value(value)


class DateField(forms.DateField):
    """A date a user types: ISO input, within DATE_MIN..DATE_MAX (kehu.core.dates)."""

    widget = DateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%Y/%m/%d"])
        super().__init__(**kwargs)
        self.validators.append(validate_date_in_range)


def style_form(form, *, small: bool = False) -> None:
    """Bootstrap classes on every widget, "—" as the empty choice, ISO date inputs in range."""
    size = " form-control-sm" if small else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select" + (" form-select-sm" if small else "")
        else:
            css = "form-control" + size
        existing = widget.attrs.get("class", "")
        if css.split()[0] not in existing.split():
            widget.attrs["class"] = (existing + " " + css).strip()
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = EMPTY_CHOICE_LABEL if field.empty_label is not None else None
        elif isinstance(field, forms.ChoiceField) and not isinstance(widget, forms.RadioSelect):
            field.choices = [(v, EMPTY_CHOICE_LABEL if v == "" else label) for v, label in field.choices]
        if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
            if not isinstance(widget, DateInput):
                field.widget = DateInput(attrs=widget.attrs)
            if validate_date_in_range not in field.validators:
                field.validators.append(validate_date_in_range)


class StyledFormMixin:
    """Mix into a Form/ModelForm: `style_form(self)` after __init__."""

    small_widgets = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self, small=self.small_widgets)


# --- stale edits --------------------------------------------------------------------------
# A form of a shared record (customer, contact, opportunity, quote, contract, archive section,
# settings) carries, signed, the values its fields had when it was opened. The service that
# saves it locks the row and compares those values with the row's current ones: a field
# somebody else changed meanwhile refuses the save (StaleEdit) and names what changed, so
# nobody silently overwrites a colleague's edit. Fields nobody else touched save as usual.

SEEN_SALT = "kehu.core.forms.seen"


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, (list, tuple, set)):
        return sorted(_plain(v) for v in value) if isinstance(value, set) else [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, bool, float)):
        return value
    return str(value)


def seen_values(instance, fields) -> dict:
    """{field: plain value} of `instance` for the form's `fields` (model field names)."""
    values = {}
    for name in fields:
        try:
            value = getattr(instance, name)
        except Exception:  # a reverse or missing relation is not compared
            continue
        if hasattr(value, "all") and callable(value.all):  # many-to-many
            value = {v.pk for v in value.all()}
        values[name] = _plain(value)
    return values


def seen_sign(values: dict) -> str:
    return signing.dumps(values, salt=SEEN_SALT, compress=True)


def seen_load(token: str | None) -> dict | None:
    """The values a form was opened with, or None (no token: an old form or the API without
    If-Match; a tampered token counts as none)."""
    if not token:
        return None
    try:
        return signing.loads(token, salt=SEEN_SALT)
    except signing.BadSignature:
        return None


def check_not_stale(instance, seen: dict | None, *, labels: dict | None = None) -> None:
    """Raise StaleEdit when a field of `instance` (locked by the caller) differs from the value
    the form was opened with. `labels`: {field: verbose label} for the message."""
    if not seen:
        return
    now = seen_values(instance, seen.keys())
    changes = []
    for name, before in seen.items():
        if name in now and now[name] != before:
            label = (labels or {}).get(name) or _field_label(instance, name)
            changes.append((label, _display(instance, name, before), _display(instance, name, now[name], current=True)))
    if changes:
        raise StaleEdit(
            _("Somebody else changed this record after you opened it. Check their changes below, then save again."),
            changes=changes,
        )


def _display(instance, name, value, *, current=False):
    """A stored value as a person reads it: a choice's label, a related record's name."""
    try:
        field = instance._meta.get_field(name)
    except Exception:
        return value
    if field.is_relation and not field.many_to_many:
        if current:
            return str(getattr(instance, name) or "")
        if value is None:
            return ""
        try:
            return str(field.related_model._default_manager.get(pk=value))
        except Exception:
            return value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def _field_label(instance, name) -> str:
    try:
        return str(instance._meta.get_field(name).verbose_name)
    except Exception:
        return name


def etag_for(values: dict) -> str:
    """An ETag of a record's fields for the API (If-Match on PUT/PATCH)."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return f'"{digest}"'


class SeenFormMixin:
    """Mix into a ModelForm of a shared record: a hidden `seen` field carries the signed values
    of the form's fields as they were when the form was opened; `form.seen` gives them back
    (None when missing or tampered) for the service's `check_not_stale`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"] = forms.CharField(widget=forms.HiddenInput, required=False)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk and not self.is_bound:
            self.initial["seen"] = seen_sign(seen_values(instance, self.seen_field_names()))

    def seen_field_names(self) -> list[str]:
        return [n for n in self.fields if n != "seen"]

    @property
    def seen(self) -> dict | None:
        return seen_load(self.data.get(self.add_prefix("seen")) if self.is_bound else None)

    def add_stale_error(self, error: StaleEdit) -> None:
        """Show the refusal on the form: one non-field error and the changed values."""
        self.add_error(None, error.message)
        for label, before, now in error.changes:
            self.add_error(None, _("%(field)s: “%(before)s” → “%(now)s”") % {
                "field": label, "before": "" if before is None else before, "now": "" if now is None else now})
        # the next save compares with what the user has now seen
        self.data = self.data.copy()
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk:
            instance.refresh_from_db()
            self.data[self.add_prefix("seen")] = seen_sign(seen_values(instance, self.seen_field_names()))

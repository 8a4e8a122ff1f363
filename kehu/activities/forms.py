"""Forms of the follow-up panel on the customer page. They parse and validate input; the
services apply the rules (visit level, times, who may act) and the views show a rule's
message on the field it names."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.activities.models import Activity
from kehu.core.dates import DATE_MAX, DATE_MIN, validate_date_in_range
from kehu.core.forms import DateField, style_form
from kehu.customers.models import Contact

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# The log and plan forms share the customer page (and field names): their element ids differ,
# their field names (what the htmx posts send) do not.
LOG_AUTO_ID = "id_log_%s"
PLAN_AUTO_ID = "id_plan_%s"


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)


def _bound_dates(form) -> None:
    """The browser's date pickers offer only days Kehu accepts (the server checks them anyway)."""
    for field in form.fields.values():
        if isinstance(field, forms.DateTimeField):
            field.widget.attrs.update({"min": f"{DATE_MIN.isoformat()}T00:00", "max": f"{DATE_MAX.isoformat()}T23:59"})
        elif isinstance(field, forms.DateField):
            field.widget.attrs.update({"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})


def _text_widget():
    return forms.Textarea(attrs={"rows": 2})


def _when_field():
    """The time of a logged activity: a datetime-local input, its day within the sane range."""
    return forms.DateTimeField(label=_("When"), widget=_datetime_widget(), validators=[validate_date_in_range])


def _contacts(customer):
    return Contact.objects.filter(customer_id=customer.pk, is_deleted=False).order_by("name", "id")


def _planned_label(obj) -> str:
    text = f"{obj.due_on:%Y-%m-%d} · {obj.get_kind_display()}"
    return f"{text} · {obj.summary[:40]}" if obj.summary else text


class ObjectChoiceField(forms.ChoiceField):
    """A choice among records the view already fetched (the customer's contacts, its open
    planned follow-ups), so that the two forms of the panel cost no query; cleans to the record."""

    def __init__(self, *args, label_from=str, **kwargs):
        super().__init__(*args, choices=(), **kwargs)
        self.label_from = label_from
        self.objects: dict[str, object] = {}

    def set_objects(self, objects) -> None:
        self.objects = {str(o.pk): o for o in objects}
        self.choices = [("", "")] + [(str(o.pk), self.label_from(o)) for o in objects]

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(value) if value else None


def _opportunity_label(obj) -> str:
    return f"{obj.title} ({obj.code})"


def customer_opportunities(customer, current=None) -> list:
    """The customer's open opportunities (shared by the panel's forms: one query), and the
    activity's current one even if it has closed since."""
    from kehu.sales.selectors import open_opportunities_of

    opportunities = list(open_opportunities_of(customer))
    if current is not None and current.pk not in {o.pk for o in opportunities}:
        opportunities.insert(0, current)
    return opportunities


def customer_contacts(customer) -> list[Contact]:
    """The customer's live contacts; the customer page's selector has them already."""
    listed = getattr(customer, "contact_list", None)
    return list(listed) if listed is not None else list(_contacts(customer))


class ActivityFieldsMixin:
    def _setup(self, customer, contacts=None, opportunities=None):
        if "contact" in self.fields:
            self.fields["contact"].set_objects(customer_contacts(customer) if contacts is None else contacts)
        if "opportunity" in self.fields:
            self.fields["opportunity"].set_objects(customer_opportunities(customer) if opportunities is None else opportunities)
        for name in ("kind", "next_kind"):
            if name in self.fields and not isinstance(self.fields[name].widget, forms.RadioSelect):
                self.fields[name].choices = ([("", "")] if not self.fields[name].required else []) + list(Activity.Kind.choices)
        if "visit_level" in self.fields:
            self.fields["visit_level"].choices = [("", "")] + list(Activity.VisitLevel.choices)
        style_form(self)
        _bound_dates(self)


class ActivityLogForm(ActivityFieldsMixin, forms.Form):
    """Log a done follow-up, optionally fulfilling a planned one and planning the next."""

    kind = forms.ChoiceField(label=_("Type"), choices=Activity.Kind.choices, initial=Activity.Kind.PHONE, widget=forms.RadioSelect)
    visit_level = forms.ChoiceField(label=_("Visit level"), required=False, help_text=_("Visits only."))
    contact = ObjectChoiceField(label=_("Contact"), required=False)
    opportunity = ObjectChoiceField(label=_("Opportunity"), required=False, label_from=_opportunity_label)
    at = _when_field()
    summary = forms.CharField(label=_("What was discussed"), max_length=4000, widget=_text_widget())
    outcome = forms.CharField(label=_("Outcome / intent"), max_length=4000, required=False, widget=_text_widget())
    fulfils = ObjectChoiceField(label=_("Completes the planned follow-up"), required=False, label_from=_planned_label)
    next_due_on = DateField(label=_("Next follow-up on"), required=False)
    next_kind = forms.ChoiceField(label=_("Next follow-up type"), required=False)
    next_summary = forms.CharField(label=_("Next step"), max_length=500, required=False)

    def __init__(self, *args, customer, planned=(), fulfils=None, contacts=None, opportunities=None, **kwargs):
        kwargs.setdefault("auto_id", LOG_AUTO_ID)
        super().__init__(*args, **kwargs)
        self.fields["fulfils"].set_objects(list(planned))
        self.has_planned = bool(planned)
        if not self.is_bound:
            self.initial.setdefault("at", timezone.localtime().replace(second=0, microsecond=0))
            if fulfils is not None:
                self.initial["fulfils"] = fulfils.pk
                self.initial["kind"] = fulfils.kind
                if fulfils.contact_id:
                    self.initial["contact"] = fulfils.contact_id
                if fulfils.opportunity_id:
                    self.initial["opportunity"] = fulfils.opportunity_id
        self._setup(customer, contacts, opportunities)
        self.fields["kind"].widget.attrs.update({"class": "btn-check", "autocomplete": "off"})

    def clean(self):
        data = super().clean()
        # The level field is hidden for other types: a level picked before switching type is dropped.
        if data.get("kind") and data["kind"] != Activity.Kind.VISIT:
            data["visit_level"] = ""
        return data

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {
            "kind": d["kind"], "visit_level": d.get("visit_level") or "", "contact": d.get("contact"), "at": d["at"],
            "summary": d["summary"], "outcome": d.get("outcome") or "", "fulfils": d.get("fulfils"),
            "opportunity": d.get("opportunity"),
            "next_due_on": d.get("next_due_on"), "next_kind": d.get("next_kind") or None,
            "next_summary": d.get("next_summary") or "",
        }


class ActivityPlanForm(ActivityFieldsMixin, forms.Form):
    """Plan a follow-up without logging one."""

    kind = forms.ChoiceField(label=_("Type"), initial=Activity.Kind.PHONE)
    due_on = DateField(label=_("Due on"))
    contact = ObjectChoiceField(label=_("Contact"), required=False)
    visit_level = forms.ChoiceField(label=_("Visit level"), required=False, help_text=_("Visits only, if already known."))
    summary = forms.CharField(label=_("What to do"), max_length=500, required=False)
    opportunity = ObjectChoiceField(label=_("Opportunity"), required=False, label_from=_opportunity_label)

    def __init__(self, *args, customer, contacts=None, opportunities=None, **kwargs):
        kwargs.setdefault("auto_id", PLAN_AUTO_ID)
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("due_on", timezone.localdate() + timedelta(days=1))
        self._setup(customer, contacts, opportunities)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {
            "kind": d["kind"], "due_on": d["due_on"], "contact": d.get("contact"),
            "visit_level": d.get("visit_level") or "", "summary": d.get("summary") or "", "opportunity": d.get("opportunity"),
        }


class ActivityEditForm(ActivityFieldsMixin, forms.Form):
    """Change a logged activity, or reschedule an open planned one (the fields differ)."""

    kind = forms.ChoiceField(label=_("Type"))
    visit_level = forms.ChoiceField(label=_("Visit level"), required=False)
    contact = ObjectChoiceField(label=_("Contact"), required=False)
    opportunity = ObjectChoiceField(label=_("Opportunity"), required=False, label_from=_opportunity_label)
    at = _when_field()
    due_on = DateField(label=_("Due on"))
    summary = forms.CharField(label=_("Summary"), max_length=4000, required=False, widget=_text_widget())
    outcome = forms.CharField(label=_("Outcome / intent"), max_length=4000, required=False, widget=_text_widget())

    def __init__(self, *args, activity: Activity, **kwargs):
        super().__init__(*args, **kwargs)
        if activity.is_logged:
            del self.fields["due_on"]
            self.fields["summary"].required = True
        else:
            del self.fields["at"]
            del self.fields["outcome"]
            self.fields["summary"].label = _("What to do")
        if not self.is_bound:
            for name in self.fields:
                value = getattr(activity, f"{name}_id" if name in ("contact", "opportunity") else name)
                if name == "at" and value is not None:
                    try:
                        value = timezone.localtime(value)
                    except OverflowError:  # stored at the edge of time: shown as stored (UTC)
                        value = value.replace(tzinfo=None)
                self.initial[name] = value
        self._setup(activity.customer, opportunities=customer_opportunities(activity.customer, activity.opportunity))

    def service_arguments(self) -> dict:
        d = dict(self.cleaned_data)
        d["visit_level"] = d.get("visit_level") or ""
        if d.get("kind") != Activity.Kind.VISIT:
            d["visit_level"] = ""  # a level left over from a visit that became a call
        return d


class CancelPlannedForm(forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

"""Forms of the customer record pages.

Forms only parse and validate input; they never save. Views hand `cleaned_data` to the
services, which accept only the fields a user may set (CUSTOMER_EDITABLE, CONTACT_EDITABLE,
CREDIT_FIELDS). Owner, code, stage (except by hand, through its own field) and audit fields
are not form fields, so a crafted POST cannot set them.
"""

import json
import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kehu.accounts import permissions
from kehu.core.dates import validate_date_in_range
from kehu.core.fields import MoneyFormField
from kehu.core.forms import SeenFormMixin, StyledFormMixin, seen_sign, seen_values, style_form
from kehu.core.money import CURRENCIES
from kehu.core.text import CleanCharField
from kehu.customers import industries, regions
from kehu.customers.errors import CustomerError
from kehu.customers.factors import buying_factors_problem
from kehu.customers.models import CompanyProfile, Contact, Customer, PersonProfile
from kehu.customers.selectors import mask
from kehu.customers.services.records import (
    CONTACT_EDITABLE,
    CUSTOMER_EDITABLE,
    FINANCE_CARD_FIELDS,
    MANUAL_STAGES,
    clean_uscc,
)

TAG_SPLIT = re.compile(r"[,，、;；]+")
MAX_TAGS = 20
ONE_TO_FIVE = [("", "—")] + [(str(i), str(i)) for i in range(1, 6)]
SENSITIVE = ("bank_account", "id_number")


def parse_tags(text: str) -> list[str]:
    """`VIP, 华南；展会` -> ["VIP", "华南", "展会"]: split on Latin and Chinese separators, deduplicated."""
    names = []
    for part in TAG_SPLIT.split(text or ""):
        name = part.strip()[:50]
        if name and name not in names:
            names.append(name)
    return names


# Dates of the past that are older than the range of dates Kehu plans with
# (kehu.core.dates.DATE_MIN): a birthday, the year a company was founded.
PAST_DATES = {"birth_date": date(1900, 1, 1), "founded_on": date(1800, 1, 1)}


def _validate_past(low: date):
    def validate(value):
        if value is not None and not low <= value <= timezone.localdate():
            raise ValidationError(
                _("Enter a date from %(min)s to today.") % {"min": low.isoformat()},
                code="date_range",
            )
    return validate


class SectionedFormMixin(StyledFormMixin):
    """Bootstrap styling (kehu.core.forms.style_form: "—" as every empty choice, ISO date
    inputs in range), short text areas, and `groups` of fields for sectioned templates.
    A birthday or a founding date is a date of the past: from PAST_DATES' year to today."""

    groups: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea):
                if str(field.widget.attrs.get("rows", "10")) == "10":  # Django's default: too tall for a short note
                    field.widget.attrs["rows"] = 2
            if name in PAST_DATES:
                field.validators = [v for v in field.validators if v is not validate_date_in_range]
                field.validators.append(_validate_past(PAST_DATES[name]))
                field.widget.attrs.update({"min": PAST_DATES[name].isoformat(), "max": timezone.localdate().isoformat()})

    def grouped(self):
        """[(section label, [bound fields])] for the fields this form has."""
        result = []
        for label, names in self.groups:
            bound = [self[n] for n in names if n in self.fields and not isinstance(self.fields[n].widget, forms.HiddenInput)]
            if bound:
                result.append((label, bound))
        return result

    def _mask_sensitive(self, user, instance):
        """Users who may not see a sensitive value get an empty field that keeps the value when left empty."""
        self.kept_sensitive = set()
        if permissions.can_view_sensitive(user) or instance is None:
            return
        for name in SENSITIVE:
            current = getattr(instance, name, "") if name in self.fields else ""
            if current:
                self.initial[name] = ""
                self.fields[name].help_text = _("Now %(masked)s. Leave empty to keep it.") % {"masked": mask(current, user=user)}
                self.kept_sensitive.add(name)

    def without_kept_sensitive(self, data: dict) -> dict:
        return {k: v for k, v in data.items() if not (k in self.kept_sensitive and v in ("", None))}


class RecordSeenMixin(SeenFormMixin):
    """The stale-edit guard of a shared record's edit form (kehu.core.forms.SeenFormMixin): the
    hidden `seen` field carries the values of the model fields this form edits, signed when the
    form is opened; the service refuses the save when one of them changed since.

    The token is signed, not encrypted: sensitive values are left out for users who may not
    read them (their masked field keeps the value anyway)."""

    seen_aliases: dict = {}  # form field -> the model field it edits

    def seen_field_names(self) -> list[str]:
        model_fields = {f.name for f in self._meta.model._meta.get_fields() if not f.auto_created}
        names = []
        for name in self.fields:
            name = self.seen_aliases.get(name, name)
            if name in model_fields and name not in names:
                names.append(name)
        if not permissions.can_view_sensitive(getattr(self, "user", None)):
            names = [n for n in names if n not in SENSITIVE]
        return names

    def sign_seen(self) -> None:
        """(Re)sign the opened values once the form's fields are final (end of __init__)."""
        if self.instance.pk and not self.is_bound:
            self.initial["seen"] = seen_sign(seen_values(self.instance, self.seen_field_names()))

    def renew_seen(self) -> None:
        """After a refused save: the next save compares with the record as it is now."""
        if self.instance.pk and self.is_bound:
            self.instance.refresh_from_db()
            self.data = self.data.copy()
            self.data[self.add_prefix("seen")] = seen_sign(seen_values(self.instance, self.seen_field_names()))


class CustomerForm(RecordSeenMixin, SectionedFormMixin, forms.ModelForm):
    """Create and edit a customer: CUSTOMER_EDITABLE fields, tags by name, the referrer by code,
    the credit fields when the user may set them, and the stage by hand on edit."""

    referrer_code = forms.CharField(
        label=_("Referred by customer (code)"), required=False, max_length=32,
        help_text=_("The code of a customer you can see, e.g. C00012."),
    )
    referrer_contact = forms.ModelChoiceField(label=_("Referred by contact"), queryset=Contact.objects.none(), required=False)
    tag_names = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separate tags with commas."),
    )
    influence = forms.TypedChoiceField(label=_("Industry influence (1–5)"), choices=ONE_TO_FIVE, coerce=int, empty_value=None, required=False)
    reputation = forms.TypedChoiceField(label=_("Reputation (1–5)"), choices=ONE_TO_FIVE, coerce=int, empty_value=None, required=False)
    credit_limit = MoneyFormField(label=_("Credit limit"), min_value=0, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES], initial="CNY")
    stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=[])
    allow_duplicate = forms.BooleanField(
        label=_("Create anyway: this is a different customer"), required=False,
    )

    class Meta:
        model = Customer
        fields = [f for f in CUSTOMER_EDITABLE if f not in ("referrer_customer", "referrer_contact", "influence", "reputation")]
        widgets = {"kind": forms.RadioSelect, "address": forms.TextInput, "website": forms.TextInput}
        field_classes = {"name": CleanCharField}  # no zero-width, direction or control characters (kehu.core.text)

    groups = [
        (_("Customer"), ["kind", "name", "stage", "uscc", "lead_source", "tag_names"]),
        (_("Contact details and region"), ["phone", "email", "website", "province", "city", "address", "industry"]),
        (_("Referrer"), ["referrer_code", "referrer_contact", "referrer_agent"]),
        (_("Standing"), ["influence", "reputation", "buying_factor", "buying_factor_second", "notes"]),
        (_("Data card"), [
            "fund_status", "payment_attitude", "credit_limit", "currency", "bank_name", "bank_account",
            "past_bankruptcy", "past_credibility", "card_notes",
        ]),
    ]
    seen_aliases = {"tag_names": "tags", "referrer_code": "referrer_customer"}

    def __init__(self, *args, user, allow_credit: bool, creating: bool, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.creating = creating
        instance = None if creating else self.instance
        if creating:
            self.fields["kind"].initial = Customer.Kind.COMPANY
        else:
            del self.fields["allow_duplicate"]
            if instance.referrer_customer_id:
                self.initial.setdefault("referrer_code", instance.referrer_customer.code)
            if instance.referrer_contact_id:
                self.initial.setdefault("referrer_contact", instance.referrer_contact_id)
            self.initial.setdefault("tag_names", ", ".join(t.name for t in instance.tags.all()))
        self.fields["kind"].choices = Customer.Kind.choices
        # The stage: only on edit and only while it is one a user may set by hand.
        if creating or instance.stage not in MANUAL_STAGES:
            del self.fields["stage"]
        else:
            self.fields["stage"].choices = [(s, label) for s, label in Customer.Stage.choices if s in MANUAL_STAGES]
            self.fields["stage"].initial = instance.stage
        if not allow_credit:
            del self.fields["credit_limit"]
            del self.fields["currency"]
        # The referrer is chosen by code among the customers the user sees. A referrer the
        # user no longer sees (another rep's customer) is kept as it is, contact included.
        self.current_referrer = instance.referrer_customer if instance is not None and instance.referrer_customer_id else None
        code = self.data.get(self.add_prefix("referrer_code"), "") if self.is_bound else self.initial.get("referrer_code", "")
        referrer = self._referrer_from(code)
        self.keep_referrer_contact = referrer is not None and referrer == self.current_referrer and not (
            Customer.objects.visible_to(user).filter(pk=referrer.pk).exists()
        )
        if referrer is not None and not self.keep_referrer_contact:
            self.fields["referrer_contact"].queryset = Contact.objects.visible_to(user).filter(customer=referrer)
        else:
            del self.fields["referrer_contact"]
        self._region_fields(instance)
        self._mask_sensitive(user, instance)
        self._live_duplicate_check(instance)
        if creating:
            del self.fields["seen"]
        else:
            self.sign_seen()

    def _region_fields(self, instance):
        """Province, city and industry picked from the official lists (regions.py, industries.py).
        The cities are grouped by province (static/kehu/region-picker.js shows the chosen
        province's); a value stored before the lists existed stays a choice, so an edit keeps it."""
        stored = {n: (getattr(instance, n, "") or "") if instance is not None else "" for n in ("province", "city", "industry")}
        provinces = [(p.name, p.name) for p in regions.provinces()]
        cities = [(p.name, [(c, c) for c in p.cities]) for p in regions.provinces() if p.cities]
        industry = industries.industry_choices()

        def keep(choices, value, known):
            return ([(value, value)] if value and value not in known else []) + choices

        known_cities = {c for p in regions.provinces() for c in p.cities}
        model = Customer._meta
        self.fields["province"] = forms.ChoiceField(
            label=capfirst(model.get_field("province").verbose_name), required=False,
            choices=[("", "—")] + keep(provinces, stored["province"], dict(provinces)))
        self.fields["city"] = forms.ChoiceField(
            label=capfirst(model.get_field("city").verbose_name), required=False,
            choices=[("", "—")] + keep(cities, stored["city"], known_cities))
        self.fields["industry"] = forms.ChoiceField(
            label=capfirst(model.get_field("industry").verbose_name), required=False,
            choices=[("", "—")] + keep(industry, stored["industry"], dict(industry)))
        self.fields["province"].widget.attrs["data-region-province"] = "1"
        self.fields["city"].widget.attrs["data-region-city"] = "1"
        self.stored_city = stored["city"]
        style_form(self)

    def _clean_region(self, cleaned):
        province, city = cleaned.get("province"), cleaned.get("city")
        found = regions.province_lookup(province) if province else None
        if city and city != self.stored_city and (found is None or city not in found.cities):
            self.add_error("city", ValidationError(
                _("%(city)s is not a city of %(province)s.") % {"city": city, "province": province or "—"}, code="city"))

    def _live_duplicate_check(self, instance):
        """htmx: while the name, USCC or phone is typed, show possible duplicates (see the view)."""
        for name in ("name", "uscc", "phone"):
            attrs = self.fields[name].widget.attrs
            attrs.update({
                "hx-get": reverse("customers:duplicate-check"), "hx-trigger": "input changed delay:500ms",
                "hx-target": "#duplicate-live", "hx-include": "#id_name, #id_uscc, #id_phone", "autocomplete": "off",
            })
            if instance is not None:
                attrs["hx-vals"] = json.dumps({"exclude": instance.pk})

    def _referrer_from(self, code):
        """The customer with `code` the user sees, or the current referrer when its code is kept."""
        code = (code or "").strip()
        if not code:
            return None
        if self.current_referrer is not None and code.lower() == self.current_referrer.code.lower():
            return self.current_referrer
        return Customer.objects.visible_to(self.user).filter(code__iexact=code).first()

    def clean_uscc(self):
        try:
            return clean_uscc(self.cleaned_data.get("uscc", ""))
        except CustomerError as exc:
            raise ValidationError(exc.message, code="invalid") from exc

    def clean_referrer_code(self):
        code = self.cleaned_data.get("referrer_code", "").strip()
        if not code:
            return None
        referrer = self._referrer_from(code)
        if referrer is None:
            raise ValidationError(_("No customer with code %(code)s that you can see.") % {"code": code})
        if not self.creating and referrer.pk == self.instance.pk:
            raise ValidationError(_("A customer cannot refer itself."))
        return referrer

    def clean_tag_names(self):
        names = parse_tags(self.cleaned_data.get("tag_names", ""))
        if len(names) > MAX_TAGS:
            raise ValidationError(_("At most %(max)d tags.") % {"max": MAX_TAGS})
        return names

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("uscc") and cleaned.get("kind") == Customer.Kind.PERSON:
            self.add_error("uscc", _("A person customer has no unified social credit code."))
        contact = cleaned.get("referrer_contact")
        if not self.keep_referrer_contact and contact is not None and contact.customer_id != getattr(cleaned.get("referrer_code"), "pk", None):
            self.add_error("referrer_contact", _("Choose a contact of the referring customer."))
        self._clean_region(cleaned)
        if "buying_factor" not in self.errors and "buying_factor_second" not in self.errors:
            problem = buying_factors_problem(cleaned.get("buying_factor", ""), cleaned.get("buying_factor_second", ""))
            if problem:
                self.add_error(problem[0], ValidationError(problem[1], code="buying_factor"))
        return cleaned

    def service_arguments(self) -> dict:
        """What the create/update services take, from the cleaned data."""
        c = self.cleaned_data
        data = {f: c[f] for f in CUSTOMER_EDITABLE if f in c}
        data["referrer_customer"] = c.get("referrer_code")
        if not self.keep_referrer_contact:
            data["referrer_contact"] = c.get("referrer_contact")
        data["influence"] = c.get("influence")
        data["reputation"] = c.get("reputation")
        args = {"data": self.without_kept_sensitive(data), "tags": c.get("tag_names", [])}
        if "credit_limit" in self.fields:
            args["credit"] = {"credit_limit": c.get("credit_limit"), "currency": c.get("currency") or "CNY"}
        if "stage" in self.fields:
            args["stage"] = c["stage"]
        return args


class CreditForm(RecordSeenMixin, SectionedFormMixin, forms.ModelForm):
    """What finance may change on a customer it cannot edit otherwise: the credit fields and
    the data card's fund status and payment attitude."""

    credit_limit = MoneyFormField(label=_("Credit limit"), min_value=0, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES])

    class Meta:
        model = Customer
        fields = FINANCE_CARD_FIELDS

    groups = [(_("Data card"), ["credit_limit", "currency", "fund_status", "payment_attitude"])]

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.initial.setdefault("credit_limit", self.instance.credit_limit)
        self.initial.setdefault("currency", self.instance.currency)
        self.sign_seen()

    def service_arguments(self) -> dict:
        c = self.cleaned_data
        return {
            "data": {f: c[f] for f in FINANCE_CARD_FIELDS},
            "credit": {"credit_limit": c.get("credit_limit"), "currency": c["currency"]},
        }


def _section_fields(model) -> list[str]:
    return [f for _label, names in model.SECTIONS for f in names]


class CompanyProfileForm(RecordSeenMixin, SectionedFormMixin, forms.ModelForm):
    class Meta:
        model = CompanyProfile
        fields = _section_fields(CompanyProfile)

    groups = CompanyProfile.SECTIONS

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.kept_sensitive = set()
        self.sign_seen()

    def service_arguments(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "seen"}


class PersonProfileForm(RecordSeenMixin, SectionedFormMixin, forms.ModelForm):
    class Meta:
        model = PersonProfile
        fields = _section_fields(PersonProfile)

    groups = PersonProfile.SECTIONS

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self._mask_sensitive(user, self.instance if self.instance.pk else None)
        self.sign_seen()

    def service_arguments(self) -> dict:
        return self.without_kept_sensitive({k: v for k, v in self.cleaned_data.items() if k != "seen"})


def profile_form_class(customer):
    return CompanyProfileForm if customer.kind == Customer.Kind.COMPANY else PersonProfileForm


class ContactForm(RecordSeenMixin, SectionedFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_EDITABLE
        field_classes = {"name": CleanCharField}

    groups = [(_("Contact"), ["name", "title", "department", "decision_role", "principal_role", "phone", "email", "wechat", "notes"])] + [
        (label, names) for label, names in Contact.SECTIONS
    ]

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self._mask_sensitive(user, self.instance if self.instance.pk else None)
        if self.instance.pk:
            self.sign_seen()
        else:
            del self.fields["seen"]

    def service_arguments(self) -> dict:
        return self.without_kept_sensitive({k: v for k, v in self.cleaned_data.items() if k != "seen"})

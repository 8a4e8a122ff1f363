"""Forms of the customer record pages.

Forms only parse and validate input; they never save. Views hand `cleaned_data` to the
services, which accept only the fields a user may set (CUSTOMER_EDITABLE, CONTACT_EDITABLE,
CREDIT_FIELDS). Owner, code, stage (except by hand, through its own field) and audit fields
are not form fields, so a crafted POST cannot set them.
"""

import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.accounts import permissions
from kehu.core.fields import MoneyFormField
from kehu.core.money import CURRENCIES
from kehu.customers.errors import CustomerError
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


class BootstrapMixin:
    """Bootstrap classes on every widget, and `groups` of fields for sectioned templates."""

    groups: list = []

    def _style(self):
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.HiddenInput):
                continue
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
            if isinstance(widget, forms.Textarea):
                widget.attrs["rows"] = 2
            if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField) and not isinstance(widget, forms.RadioSelect):
                field.choices = [(v, "—" if v == "" else label) for v, label in field.choices]
            if isinstance(field, forms.DateField):
                field.widget.input_type = "date"
                field.widget.format = "%Y-%m-%d"

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


def _dates(fields):
    return {name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d") for name in fields}


class CustomerForm(BootstrapMixin, forms.ModelForm):
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

    groups = [
        (_("Customer"), ["kind", "name", "stage", "uscc", "lead_source", "tag_names"]),
        (_("Contact details and region"), ["phone", "email", "website", "province", "city", "address", "industry"]),
        (_("Referrer"), ["referrer_code", "referrer_contact", "referrer_agent"]),
        (_("Standing"), ["influence", "reputation", "notes"]),
        (_("Data card"), [
            "fund_status", "payment_attitude", "credit_limit", "currency", "bank_name", "bank_account",
            "past_bankruptcy", "past_credibility", "card_notes",
        ]),
    ]

    def __init__(self, *args, user, allow_credit: bool, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
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
        self._mask_sensitive(user, instance)
        self._style()
        self._live_duplicate_check(instance)

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


class CreditForm(BootstrapMixin, forms.ModelForm):
    """What finance may change on a customer it cannot edit otherwise: the credit fields and
    the data card's fund status and payment attitude."""

    credit_limit = MoneyFormField(label=_("Credit limit"), min_value=0, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES])

    class Meta:
        model = Customer
        fields = FINANCE_CARD_FIELDS

    groups = [(_("Data card"), ["credit_limit", "currency", "fund_status", "payment_attitude"])]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("credit_limit", self.instance.credit_limit)
        self.initial.setdefault("currency", self.instance.currency)
        self._style()

    def service_arguments(self) -> dict:
        c = self.cleaned_data
        return {
            "data": {f: c[f] for f in FINANCE_CARD_FIELDS},
            "credit": {"credit_limit": c.get("credit_limit"), "currency": c["currency"]},
        }


def _section_fields(model) -> list[str]:
    return [f for _label, names in model.SECTIONS for f in names]


class CompanyProfileForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CompanyProfile
        fields = _section_fields(CompanyProfile)
        widgets = _dates(["founded_on"])

    groups = CompanyProfile.SECTIONS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_sensitive = set()
        self._style()

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class PersonProfileForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PersonProfile
        fields = _section_fields(PersonProfile)
        widgets = _dates(["birth_date"])

    groups = PersonProfile.SECTIONS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._mask_sensitive(user, self.instance if self.instance.pk else None)
        self._style()

    def service_arguments(self) -> dict:
        return self.without_kept_sensitive(dict(self.cleaned_data))


def profile_form_class(customer):
    return CompanyProfileForm if customer.kind == Customer.Kind.COMPANY else PersonProfileForm


class ContactForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_EDITABLE
        widgets = _dates(["birth_date"])

    groups = [(_("Contact"), ["name", "title", "department", "decision_role", "principal_role", "phone", "email", "wechat", "notes"])] + [
        (label, names) for label, names in Contact.SECTIONS
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._mask_sensitive(user, self.instance if self.instance.pk else None)
        self._style()

    def service_arguments(self) -> dict:
        return self.without_kept_sensitive(dict(self.cleaned_data))

"""Forms of the selling pages: the opportunity form, the board/list filters and the stage move."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.permissions import can_edit_customer
from kehu.accounts.visibility import visible_users
from kehu.core.fields import MoneyFormField
from kehu.customers.models import Customer
from kehu.sales.models import Opportunity, OpportunityStage

DATE = forms.DateInput(attrs={"type": "date"})


class OpportunityForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    amount = MoneyFormField(label=_("Amount"), min_value=0)
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=OpportunityStage.objects.filter(is_closed=False), required=False,
                                   empty_label=_("(first stage)"))
    probability = forms.IntegerField(label=_("Probability %"), min_value=0, max_value=100, required=False,
                                     help_text=_("Empty: the stage's default."))
    expected_close_on = forms.DateField(label=_("Expected close"), required=False, widget=DATE)
    forecast_category = forms.ChoiceField(label=_("Forecast category"), required=False,
                                          choices=[("", _("(the stage's default)"))] + [
                                              c for c in Opportunity.ForecastCategory.choices
                                              if c[0] not in (Opportunity.ForecastCategory.CLOSED, Opportunity.ForecastCategory.OMITTED)])
    buying_factor = forms.ChoiceField(label=_("Primary buying factor"), required=False,
                                      choices=[("", "—")] + list(Opportunity.BuyingFactor.choices))
    competitors = forms.CharField(label=_("Competitors"), max_length=255, required=False)
    product_lines = forms.CharField(label=_("Product lines"), max_length=255, required=False)

    def __init__(self, *args, user, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope = Customer.objects.visible_to(user)
        # A chosen customer (from its page), else the user's own customers.
        self.fields["customer"].queryset = scope.filter(pk=customer.pk) if customer else scope.filter(owner=user).order_by("name")
        if customer:
            self.fields["customer"].initial = customer.pk
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-select" if isinstance(f.widget, forms.Select) else "form-control")

    def clean_customer(self):
        customer = self.cleaned_data["customer"]
        if not can_edit_customer(self.user, customer):
            raise forms.ValidationError(_("You may not add opportunities for this customer."))
        return customer

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("customer", "title", "amount", "stage", "probability", "expected_close_on",
                                     "forecast_category", "buying_factor", "competitors", "product_lines")}


class OpportunityFilterForm(forms.Form):
    """Filters shared by the board and the list: owner, expected-close period, stage, customer search."""

    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("All owners"))
    close_from = forms.DateField(label=_("Expected close from"), required=False, widget=DATE)
    close_to = forms.DateField(label=_("Expected close to"), required=False, widget=DATE)
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=OpportunityStage.objects.all(), required=False,
                                   to_field_name="code", empty_label=_("All stages"))
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = visible_users(user).order_by("name")

    def apply(self, qs):
        """`qs` filtered by the valid filters (invalid ones are ignored, the form shows their errors)."""
        if not self.is_bound:
            return qs
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("owner"):
            qs = qs.filter(owner=data["owner"])
        if data.get("close_from"):
            qs = qs.filter(expected_close_on__gte=data["close_from"])
        if data.get("close_to"):
            qs = qs.filter(expected_close_on__lte=data["close_to"])
        if data.get("stage"):
            qs = qs.filter(stage=data["stage"])
        q = (data.get("q") or "").strip()
        if q:
            from django.db.models import Q

            qs = qs.filter(Q(title__icontains=q) | Q(code__iexact=q) | Q(customer__name__icontains=q) | Q(customer__code__iexact=q))
        return qs


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=OpportunityStage.objects.all(), to_field_name="code",
                                   error_messages={"invalid_choice": _("Choose a stage.")})
    lost_reason = forms.CharField(label=_("Lost reason"), required=False, max_length=2000)

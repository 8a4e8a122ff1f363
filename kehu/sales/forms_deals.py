"""Forms of the opportunity page and the quotes: they parse input; the services apply the rules."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyFormField
from kehu.core.money import CURRENCIES
from kehu.sales.models import Opportunity

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _style(form) -> None:
    for f in form.fields.values():
        if isinstance(f.widget, (forms.Select, forms.SelectMultiple)):
            f.widget.attrs.setdefault("class", "form-select")
        elif not isinstance(f.widget, (forms.CheckboxInput, forms.RadioSelect)):
            f.widget.attrs.setdefault("class", "form-control")


class OpportunityEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    amount = MoneyFormField(label=_("Amount"), min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES])
    probability = forms.IntegerField(label=_("Probability %"), min_value=0, max_value=100, required=False,
                                     help_text=_("Empty: the stage's default."))
    expected_close_on = forms.DateField(label=_("Expected close"), required=False, widget=DATE)
    forecast_category = forms.ChoiceField(label=_("Forecast category"), required=False)
    buying_factor = forms.ChoiceField(label=_("Primary buying factor"), required=False,
                                      choices=[("", "—")] + list(Opportunity.BuyingFactor.choices))
    competitors = forms.CharField(label=_("Competitors"), max_length=255, required=False)
    product_lines = forms.CharField(label=_("Product lines"), max_length=255, required=False)
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        stage = opportunity.stage
        if stage.is_closed:
            # The closed stage decides probability and category.
            del self.fields["probability"]
            del self.fields["forecast_category"]
        else:
            self.fields["forecast_category"].choices = [("", _("(the stage's default)"))] + [
                c for c in Opportunity.ForecastCategory.choices
                if c[0] not in (Opportunity.ForecastCategory.CLOSED, Opportunity.ForecastCategory.OMITTED)]
        if not (stage.is_closed and not stage.is_won):
            del self.fields["lost_reason"]
        else:
            self.fields["lost_reason"].required = True
        if opportunity.currency not in CURRENCIES:
            self.fields["currency"].choices = [(opportunity.currency, opportunity.currency)] + self.fields["currency"].choices
        if not self.is_bound:
            for name in self.fields:
                self.initial[name] = getattr(opportunity, name)
        _style(self)

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


def _opportunity_label(opportunity) -> str:
    """"Title (code)", with the stage when it is closed (a won or lost one among the open)."""
    label = f"{opportunity.title} ({opportunity.code})"
    return f"{label} · {opportunity.stage}" if opportunity.stage.is_closed else label


class QuoteForm(forms.Form):
    opportunity = forms.ChoiceField(label=_("Opportunity"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES], initial="CNY")
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)
    payment_term_days = forms.IntegerField(label=_("Payment term (days)"), min_value=0, max_value=3650, required=False,
                                           help_text=_("Empty: the customer's policy. A longer term than the policy's needs approval."))
    notes = forms.CharField(label=_("Notes"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, opportunities=(), lock_currency: bool = False, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is not None:
            from kehu.sales.policy import customer_policy, policy_label
            from kehu.sales.quotes import policy_source

            policy = customer_policy(customer)
            source = policy_source(policy, "payment_term_days")
            text = (_("Empty: the customer's policy, %(days)d days (%(policy)s). A longer term needs approval.")
                    if source else _("Empty: the customer's policy, %(days)d days. A longer term needs approval."))
            self.fields["payment_term_days"].help_text = text % {"days": policy.payment_term_days, "policy": policy_label(source)}
        self.opportunities = {str(o.pk): o for o in opportunities}
        self.fields["opportunity"].choices = [("", "—")] + [(str(o.pk), _opportunity_label(o)) for o in opportunities]
        if lock_currency:
            del self.fields["currency"]
        _style(self)

    def clean_opportunity(self):
        value = self.cleaned_data.get("opportunity")
        return self.opportunities.get(value) if value else None


class QuoteLineForm(forms.Form):
    product = forms.ChoiceField(label=_("Product"))
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.0001"), max_digits=16, decimal_places=4)
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=0, max_digits=18, decimal_places=4, required=False,
                                    help_text=_("Empty: the list price."))
    discount_pct = forms.DecimalField(label=_("Discount %"), min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False)

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {str(p.pk): p for p in products}
        self.fields["product"].choices = [("", "—")] + [(str(p.pk), f"{p.name} ({p.code}) · {p.list_price} {p.currency}")
                                                         for p in products]
        self.fields["product"].widget.attrs["data-prices"] = "1"
        _style(self)
        for name in ("quantity", "unit_price", "discount_pct"):
            self.fields[name].widget.attrs.update({"class": "form-control form-control-sm text-end", "step": "any"})
        self.fields["product"].widget.attrs["class"] = "form-select form-select-sm"

    def clean_product(self):
        value = self.cleaned_data.get("product")
        product = self.products.get(value)
        if product is None:
            raise forms.ValidationError(_("Choose a product."))
        return product

    def line(self) -> dict:
        d = self.cleaned_data
        return {"product": d["product"], "quantity": d["quantity"], "unit_price": d.get("unit_price"),
                "discount_pct": d.get("discount_pct") or Decimal(0)}


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [f.line() for f in self.forms if f.has_changed() and not (self.can_delete and self._should_delete_form(f))
                and f.cleaned_data]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("A quote needs at least one line."))


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, formset=BaseLineFormSet, extra=3, can_delete=True, max_num=100,
                                         validate_max=True)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class QuoteStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("sent", _("Sent")), ("accepted", _("Accepted"))])


class QuoteFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.sales.models import Quote

        self.fields["status"].choices = [("", _("All statuses"))] + list(Quote.Status.choices)
        _style(self)

    def chosen_status(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""

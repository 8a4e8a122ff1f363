"""Forms of the selling pages: they parse input; the services apply the rules.

The opportunity forms (new, edit), the board/list filters and the stage move; the quote form,
its lines (checked by `kehu.sales.lines`, as the order lines are), the approval decision.
Styling, "—" as the empty choice and dates in range come from `kehu.core.forms`; the edit
forms of shared records carry the stale-edit guard (`SeenFormMixin`).
"""

from decimal import Decimal
from types import SimpleNamespace

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.accounts.visibility import visible_users
from kehu.core.fields import MoneyFormField
from kehu.core.forms import DateField, SeenFormMixin, StyledFormMixin, seen_sign, seen_values
from kehu.core.money import CURRENCIES, format_unit_price
from kehu.customers.factors import buying_factors_problem
from kehu.customers.models import Customer
from kehu.sales.errors import LineError
from kehu.sales.lines import clean_line
from kehu.sales.models import Opportunity, OpportunityStage, Quote
from kehu.sales.permissions import can_create_opportunity

OPEN_FORECAST_CATEGORIES = [c for c in Opportunity.ForecastCategory.choices
                            if c[0] not in (Opportunity.ForecastCategory.CLOSED, Opportunity.ForecastCategory.OMITTED)]


class OptionDataSelect(forms.Select):
    """A select whose options carry data attributes: `option_data` = {value: {"data-…": "…"}}."""

    def __init__(self, *args, option_data=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_data = option_data or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


class KeepOthersChangesMixin(SeenFormMixin):
    """The stale-edit guard, and on a refusal the fields the user left as they were show the
    value somebody else saved meanwhile (the fields the user changed keep the user's input): so
    saving again keeps both people's changes instead of writing the old values back."""

    def add_stale_error(self, error) -> None:
        before = self.seen or {}
        names = [n for n in before if n in self.fields and n != "seen"]
        posted = seen_values(SimpleNamespace(**{n: self.cleaned_data.get(n) for n in names}), names)
        super().add_stale_error(error)
        now = seen_values(self.instance, names)
        for name in names:
            if posted[name] == before[name] and now[name] != before[name]:
                self.data[self.add_prefix(name)] = "" if now[name] is None else str(now[name])


def clean_buying_factors(form, cleaned) -> None:
    """The ranked pair (kehu.customers.factors): the error on the field that breaks it."""
    if "buying_factor" in form.errors or "buying_factor_second" in form.errors:
        return
    problem = buying_factors_problem(cleaned.get("buying_factor", ""), cleaned.get("buying_factor_second", ""))
    if problem:
        form.add_error(problem[0], forms.ValidationError(problem[1], code="buying_factor"))


# --- opportunities ------------------------------------------------------------------------------

class OpportunityForm(StyledFormMixin, forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    title = forms.CharField(label=pgettext_lazy("opportunity", "Title"), max_length=200)
    amount = MoneyFormField(label=_("Amount"), min_value=0)
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=OpportunityStage.objects.filter(is_closed=False), required=False)
    probability = forms.IntegerField(label=_("Probability %"), min_value=0, max_value=100, required=False,
                                     help_text=_("Empty: the stage's default."))
    expected_close_on = DateField(label=_("Expected close"), required=False)
    forecast_category = forms.ChoiceField(label=_("Forecast category"), required=False,
                                          choices=[("", _("(the stage's default)"))] + OPEN_FORECAST_CATEGORIES)
    buying_factor = forms.ChoiceField(label=_("Primary buying factor"), required=False,
                                      choices=[("", "—")] + list(Opportunity.BuyingFactor.choices))
    buying_factor_second = forms.ChoiceField(label=_("Second buying factor"), required=False,
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
        # empty choices that say what empty means
        self.fields["stage"].empty_label = _("(first stage)")
        self.fields["forecast_category"].choices = [("", _("(the stage's default)"))] + OPEN_FORECAST_CATEGORIES

    def clean(self):
        cleaned = super().clean()
        clean_buying_factors(self, cleaned)
        return cleaned

    def clean_customer(self):
        customer = self.cleaned_data["customer"]
        if not can_create_opportunity(self.user, customer):
            raise forms.ValidationError(_("You may not add opportunities for this customer."))
        return customer

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("customer", "title", "amount", "stage", "probability", "expected_close_on",
                                     "forecast_category", "buying_factor", "buying_factor_second", "competitors", "product_lines")}


class OpportunityEditForm(KeepOthersChangesMixin, StyledFormMixin, forms.Form):
    """The fields of an opportunity (the stage moves on its page). Carries the values it was
    opened with (`seen`): a save over somebody else's change meanwhile is refused."""

    title = forms.CharField(label=pgettext_lazy("opportunity", "Title"), max_length=200)
    amount = MoneyFormField(label=_("Amount"), min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES])
    probability = forms.IntegerField(label=_("Probability %"), min_value=0, max_value=100, required=False,
                                     help_text=_("Empty: the stage's default."))
    expected_close_on = DateField(label=_("Expected close"), required=False)
    forecast_category = forms.ChoiceField(label=_("Forecast category"), required=False)
    buying_factor = forms.ChoiceField(label=_("Primary buying factor"), required=False,
                                      choices=[("", "—")] + list(Opportunity.BuyingFactor.choices))
    buying_factor_second = forms.ChoiceField(label=_("Second buying factor"), required=False,
                                             choices=[("", "—")] + list(Opportunity.BuyingFactor.choices))
    competitors = forms.CharField(label=_("Competitors"), max_length=255, required=False)
    product_lines = forms.CharField(label=_("Product lines"), max_length=255, required=False)
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        self.instance = opportunity
        super().__init__(*args, **kwargs)
        stage = opportunity.stage
        if stage.is_closed:
            # The closed stage decides probability and category.
            del self.fields["probability"]
            del self.fields["forecast_category"]
        else:
            self.fields["forecast_category"].choices = [("", _("(the stage's default)"))] + OPEN_FORECAST_CATEGORIES
        if not (stage.is_closed and not stage.is_won):
            del self.fields["lost_reason"]
        else:
            self.fields["lost_reason"].required = True
        if opportunity.currency not in CURRENCIES:
            self.fields["currency"].choices = [(opportunity.currency, opportunity.currency)] + self.fields["currency"].choices
        if not self.is_bound:
            for name in self.seen_field_names():
                self.initial[name] = getattr(opportunity, name)
            self.initial["seen"] = seen_sign(seen_values(opportunity, self.seen_field_names()))

    def clean(self):
        cleaned = super().clean()
        clean_buying_factors(self, cleaned)
        return cleaned

    def service_arguments(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "seen"}


class OpportunityFilterForm(StyledFormMixin, forms.Form):
    """Filters shared by the board and the list: owner, the closing period (open deals by their
    expected close date, won and lost ones by the day they closed), stage, customer search."""

    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    close_from = DateField(label=_("Closing from"), required=False)
    close_to = DateField(label=_("Closing to"), required=False)
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=OpportunityStage.objects.all(), required=False, to_field_name="code")
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    small_widgets = True

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = visible_users(user).order_by("name")
        self.fields["owner"].empty_label = _("All owners")
        self.fields["stage"].empty_label = _("All stages")

    def values(self) -> dict:
        """The valid filters as `kehu.sales.selectors.opportunity_list` arguments (invalid ones
        are ignored; the form shows their errors)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        values = {k: data[k] for k in ("owner", "close_from", "close_to", "stage") if data.get(k)}
        if (data.get("q") or "").strip():
            values["search"] = data["q"]
        return values


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=OpportunityStage.objects.all(), to_field_name="code",
                                   error_messages={"invalid_choice": _("Choose a stage.")})
    lost_reason = forms.CharField(label=_("Lost reason"), required=False, max_length=2000)


# --- quotes ---------------------------------------------------------------------------------------

def _opportunity_label(opportunity) -> str:
    """"Title (code)", with the stage when it is closed (a won or lost one among the open)."""
    label = f"{opportunity.title} ({opportunity.code})"
    return f"{label} · {opportunity.stage}" if opportunity.stage.is_closed else label


class QuoteForm(KeepOthersChangesMixin, StyledFormMixin, forms.Form):
    """The head of a quote. `customer`: whose policy (maximum discount, payment term) the page
    shows before the quote is submitted (`self.policy`, `self.policy_source`). `quote`: the
    quote being edited (its lines count among the values the form was opened with)."""

    opportunity = forms.ChoiceField(label=_("Opportunity"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES], initial="CNY")
    valid_until = DateField(label=_("Valid until"), required=False)
    payment_term_days = forms.IntegerField(label=_("Payment term (days)"), min_value=0, max_value=3650, required=False,
                                           help_text=_("Empty: the customer's policy. A longer term than the policy's needs approval."))
    notes = forms.CharField(label=_("Notes"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    SEEN_FIELDS = ("opportunity", "valid_until", "payment_term_days", "notes", "lines_text")

    def __init__(self, *args, opportunities=(), lock_currency: bool = False, customer=None, quote: Quote | None = None, **kwargs):
        self.instance = quote
        super().__init__(*args, **kwargs)
        self.policy = self.discount_source = self.term_source = None
        if customer is not None:
            from kehu.sales.policy import customer_policy, policy_label, policy_source

            self.policy = customer_policy(customer)
            self.discount_source = policy_label(policy_source(self.policy, "max_discount_pct"))
            self.term_source = policy_label(policy_source(self.policy, "payment_term_days"))
            text = (_("Empty: the customer's policy, %(days)d days (%(policy)s). A longer term needs approval.")
                    if self.term_source else _("Empty: the customer's policy, %(days)d days. A longer term needs approval."))
            self.fields["payment_term_days"].help_text = text % {"days": self.policy.payment_term_days, "policy": self.term_source}
        self.opportunities = {str(o.pk): o for o in opportunities}
        self.fields["opportunity"].choices = [("", "—")] + [(str(o.pk), _opportunity_label(o)) for o in opportunities]
        if lock_currency:
            del self.fields["currency"]

    def seen_field_names(self) -> list[str]:
        return list(self.SEEN_FIELDS)

    def clean_opportunity(self):
        value = self.cleaned_data.get("opportunity")
        return self.opportunities.get(value) if value else None

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        args = {"opportunity": d["opportunity"], "valid_until": d["valid_until"], "notes": d["notes"],
                "payment_term_days": d.get("payment_term_days")}
        if "currency" in d:
            args["currency"] = d["currency"]
        return args


class LineFormMixin:
    """One quote or order line form: once its fields parse, `kehu.sales.lines.clean_line` checks
    the line (product still sold, bounds of quantity, price, discount, cost) and a problem is
    shown beside its field. The currency is the service's to check (the whole document's)."""

    line_kind = "quote"
    line_with_cost = False

    def clean(self):
        data = super().clean()
        if not self._errors and data.get("product") is not None:
            try:
                clean_line(self.line(), kind=self.line_kind, with_cost=self.line_with_cost)
            except LineError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


def product_option_data(products) -> dict:
    """The data attributes of a product picker's options: the price the line fills in when the
    product is picked, and the currency (static/kehu/line-totals.js)."""
    return {str(p.pk): {"data-currency": p.currency, "data-price": str(p.list_price)} for p in products}


class QuoteLineForm(LineFormMixin, StyledFormMixin, forms.Form):
    product = forms.ChoiceField(label=_("Product"), widget=OptionDataSelect)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.0001"), max_digits=16, decimal_places=4)
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=0, max_digits=18, decimal_places=4, required=False,
                                    help_text=_("Empty: the list price."))
    discount_pct = forms.DecimalField(label=_("Discount %"), min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False)

    small_widgets = True

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {str(p.pk): p for p in products}
        self.fields["product"].choices = [("", "—")] + [(str(p.pk), f"{p.name} ({p.code}) · {format_unit_price(p.list_price, p.currency)}")
                                                         for p in products]
        self.fields["product"].widget.option_data = product_option_data(products)
        self.fields["product"].widget.attrs["data-prices"] = "1"
        for name in ("quantity", "unit_price", "discount_pct"):
            self.fields[name].widget.attrs.update({"class": "form-control form-control-sm text-end", "step": "any"})
        self.fields["unit_price"].widget.attrs["data-unit-price"] = "1"
        self.fields["discount_pct"].widget.attrs["data-discount"] = "1"

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


class DecideForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QuoteStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("sent", _("Sent")), ("accepted", _("Accepted"))])


class QuoteFilterForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses"))] + list(Quote.Status.choices)

    def chosen_status(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""

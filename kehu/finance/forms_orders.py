"""Forms of contracts, payment plans, orders, shipping and credit release: they parse input;
the services in contracts.py / orders.py apply the rules."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyFormField
from kehu.core.forms import DateField, style_form
from kehu.core.money import CURRENCIES, format_money, format_unit_price
from kehu.sales.forms import LineFormMixin, OptionDataSelect, product_option_data
from kehu.sales.models import SalesOrder


class ContractForm(forms.Form):
    source = forms.ChoiceField(label=_("Created from"), help_text=_("A won opportunity, or an approved, sent or accepted quote, of this customer."))
    signed_on = DateField(label=_("Signed on"))
    amount = MoneyFormField(label=_("Amount"), min_value=Decimal("0.01"), required=False,
                                help_text=_("Empty: the quote's total or the opportunity's amount."))
    currency = forms.ChoiceField(label=_("Currency"), choices=[("", _("(from the source)"))] + [(c, c) for c in CURRENCIES], required=False)
    payment_term_days = forms.IntegerField(label=_("Payment term (days)"), min_value=0, max_value=3650, required=False,
                                           help_text=_("Empty: the customer's policy."))

    def __init__(self, *args, opportunities=(), quotes=(), customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = {f"o{o.pk}": ("opportunity", o) for o in opportunities} | {f"q{q.pk}": ("quote", q) for q in quotes}
        customer_id = customer.pk if customer is not None else next((r.customer_id for _k, r in self.sources.values()), None)
        if customer_id is not None:
            self.fields["payment_term_days"].help_text = self.term_help(customer_id)
        choices = [("", "—")]
        if quotes:
            choices.append((_("Quotes"), [(f"q{q.pk}", f"{q.code} · {q.get_status_display()} · {format_money(q.total, q.currency)}") for q in quotes]))
        if opportunities:
            choices.append((_("Won opportunities"), [(f"o{o.pk}", f"{o.title} ({o.code}) · {format_money(o.amount, o.currency)}") for o in opportunities]))
        self.fields["source"].choices = choices
        style_form(self)

    @staticmethod
    def term_help(customer_id) -> str:
        """The customer's policy term and where it comes from; what a longer term needs."""
        from kehu.sales.policy import customer_policies, policy_label
        from kehu.sales.policy import policy_source

        policy = customer_policies([customer_id])[customer_id]
        source = policy_source(policy, "payment_term_days")
        params = {"days": policy.payment_term_days, "policy": policy_label(source)}
        if source:
            text = _("Empty: the quote's agreed term, else the customer's policy, %(days)d days (%(policy)s). "
                     "A longer term needs a quote approved with it, or a manager.")
        else:
            text = _("Empty: the quote's agreed term, else the customer's policy, %(days)d days. "
                     "A longer term needs a quote approved with it, or a manager.")
        return str(text) % params

    def clean_source(self):
        value = self.cleaned_data.get("source")
        if value not in self.sources:
            raise forms.ValidationError(_("Choose a won opportunity or an approved quote."))
        return self.sources[value]

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        kind, record = d["source"]
        return {
            "opportunity": record if kind == "opportunity" else None, "quote": record if kind == "quote" else None,
            "signed_on": d["signed_on"], "amount": d.get("amount"), "currency": d.get("currency") or None,
            "payment_term_days": d.get("payment_term_days"),
        }


class InstalmentForm(forms.Form):
    due_on = DateField(label=_("Due"))
    amount = MoneyFormField(label=_("Amount"), min_value=Decimal("0.01"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self, small=True)
        self.fields["amount"].widget.attrs.update({"class": "form-control form-control-sm text-end kehu-plan-amount", "step": "0.01"})


class BaseInstalmentFormSet(forms.BaseFormSet):
    def instalments(self) -> list[tuple]:
        rows = [f.cleaned_data for f in self.forms if f.has_changed() and f.cleaned_data
                and not (self.can_delete and self._should_delete_form(f))]
        rows.sort(key=lambda r: r["due_on"])
        return [(n, r["due_on"], r["amount"]) for n, r in enumerate(rows, start=1)]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.instalments():
            raise forms.ValidationError(_("A payment plan needs at least one instalment."))


InstalmentFormSet = forms.formset_factory(InstalmentForm, formset=BaseInstalmentFormSet, extra=0, can_delete=True, max_num=60,
                                          validate_max=True, min_num=1)


class OrderForm(forms.Form):
    """The order's head. Contract options carry their currency (`data-currency`): the page's script
    sets the order's currency to the chosen contract's and offers only products in that currency."""

    contract = forms.ChoiceField(label=_("Contract"), required=False, widget=OptionDataSelect)
    order_date = DateField(label=_("Order date"))
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES], initial="CNY")

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contracts = {str(c.pk): c for c in contracts}
        self.fields["contract"].choices = [("", "—")] + [(str(c.pk), f"{c.code} · {format_money(c.amount, c.currency)}") for c in contracts]
        self.fields["contract"].widget.option_data = {str(c.pk): {"data-currency": c.currency} for c in contracts}
        style_form(self)

    def clean_contract(self):
        value = self.cleaned_data.get("contract")
        return self.contracts.get(value) if value else None


class OrderLineForm(LineFormMixin, forms.Form):
    """A line, checked by `kehu.sales.lines` as a quote line is. Product options carry their
    currency and list price (`data-currency`, `data-price`: the price fills in when a product is
    picked); the service refuses a product priced in another currency than the order's
    (`orders.clean_lines`)."""

    line_kind = "order"
    line_with_cost = True

    product = forms.ChoiceField(label=_("Product"), widget=OptionDataSelect)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.0001"), max_digits=16, decimal_places=4)
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=0, max_digits=18, decimal_places=4, required=False,
                                    help_text=_("Empty: the list price."))
    discount_pct = forms.DecimalField(label=_("Discount %"), min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False)
    unit_cost = forms.DecimalField(label=_("Unit cost"), min_value=0, max_digits=18, decimal_places=4, required=False,
                                   help_text=_("Empty: the product's unit cost."))

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {str(p.pk): p for p in products}
        self.fields["product"].choices = [("", "—")] + [(str(p.pk), f"{p.name} ({p.code}) · {format_unit_price(p.list_price, p.currency)}") for p in products]
        self.fields["product"].widget.option_data = product_option_data(products)
        style_form(self)
        for name in ("quantity", "unit_price", "discount_pct", "unit_cost"):
            self.fields[name].widget.attrs.update({"class": "form-control form-control-sm text-end", "step": "any"})
        self.fields["product"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["unit_price"].widget.attrs["data-unit-price"] = "1"

    def clean_product(self):
        product = self.products.get(self.cleaned_data.get("product"))
        if product is None:
            raise forms.ValidationError(_("Choose a product."))
        return product

    def line(self) -> dict:
        d = self.cleaned_data
        return {"product": d["product"], "quantity": d["quantity"], "unit_price": d.get("unit_price"),
                "discount_pct": d.get("discount_pct"), "unit_cost": d.get("unit_cost")}


class BaseOrderLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [f.line() for f in self.forms if f.has_changed() and f.cleaned_data and not (self.can_delete and self._should_delete_form(f))]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("An order needs at least one line."))


OrderLineFormSet = forms.formset_factory(OrderLineForm, formset=BaseOrderLineFormSet, extra=3, can_delete=True, max_num=100, validate_max=True)


class ShipForm(forms.Form):
    shipped_on = DateField(label=_("Shipped on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the release"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
        self.fields["status"].choices = [("", _("All"))] + list(SalesOrder.Status.choices)  # a filter: "All", not "—"

"""Forms of the finance pages: recording a payment, a write-off, and the filters of the lists.
Dates are `kehu.core.forms.DateField` (ISO input, within DATE_MIN..DATE_MAX), styling by
`style_form`."""

from datetime import date
from decimal import Decimal

from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.dates import month_end, month_start, validate_date_in_range
from kehu.core.fields import MoneyFormField
from kehu.core.forms import DateField, StyledFormMixin, style_form
from kehu.core.money import format_money
from kehu.finance.models import Instalment, Receivable
from kehu.sales.models import Contract


class PaymentForm(forms.Form):
    """The selects list only this customer's contracts, open instalments and open receivables (the
    customer was fetched through the visibility scope). Choosing an instalment names its contract
    too (`cleaned_data["contract"]` and `["seq"]`)."""

    amount = MoneyFormField(label=_("Amount"), min_value=Decimal("0.01"), widget=forms.NumberInput(attrs={"step": "0.01"}))
    paid_on = DateField(label=_("Paid on"))
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=Contract.objects.none(), required=False)
    instalment = forms.ChoiceField(label=_("Instalment"), required=False,
                                   help_text=_("Leave empty to fill the contract's open instalments, oldest first."))
    receivable = forms.ModelChoiceField(label=_("Receivable"), queryset=Receivable.objects.none(), required=False)
    code = forms.CharField(label=_("Code"), max_length=32, required=False, help_text=_("Leave empty for a generated code."))
    confirm_over_open = forms.BooleanField(label=_("Record it anyway (the rest stays on account)"), required=False)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.filter(customer=customer).order_by("-signed_on", "-pk")
        # One select of the customer's open instalments, each naming its contract: "K000001 #2 · due … · open …".
        self.instalments = {
            f"{i.contract_id}:{i.seq}": i
            for i in Instalment.objects.filter(contract__customer=customer, applied__lt=F("amount"))
            .select_related("contract").order_by("due_on", "contract__code", "seq")
        }
        self.fields["instalment"].choices = [("", "—")] + [(key, self._instalment_label(i)) for key, i in self.instalments.items()]
        self.fields["receivable"].queryset = (
            Receivable.objects.filter(customer=customer, open_amount__gt=0).select_related("order").order_by("due_on", "pk")
        )
        self.fields["receivable"].label_from_instance = self._receivable_label
        if not self.is_bound:
            self.initial.setdefault("paid_on", timezone.localdate())
        style_form(self)

    @staticmethod
    def _receivable_label(receivable) -> str:
        order = receivable.order.code if receivable.order_id else "#%s" % receivable.pk
        return _("%(order)s · open %(open)s · due %(due)s") % {
            "order": order, "open": format_money(receivable.open_amount, receivable.currency), "due": receivable.due_on,
        }

    @staticmethod
    def _instalment_label(instalment) -> str:
        currency = instalment.contract.currency
        return _("%(contract)s #%(seq)s · due %(due)s · open %(open)s") % {
            "contract": instalment.contract.code, "seq": instalment.seq, "due": instalment.due_on.isoformat(),
            "open": format_money(instalment.amount - instalment.applied, currency),
        }

    def clean_instalment(self):
        value = self.cleaned_data.get("instalment")
        return self.instalments.get(value) if value else None

    def clean(self):
        data = super().clean()
        instalment = data.get("instalment")
        data["seq"] = None
        if instalment is not None:
            if data.get("contract") is None:
                data["contract"] = instalment.contract
            elif data["contract"].pk != instalment.contract_id:
                self.add_error("instalment", _("This instalment is not one of the chosen contract."))
            data["seq"] = instalment.seq
        if data.get("contract") and data.get("receivable"):
            self.add_error("receivable", _("Choose a contract or a receivable, not both."))
        return data


class ReversalForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for the reversal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("For example: amount typed wrong, the bank returned the transfer, recorded twice."))


class WriteOffForm(StyledFormMixin, forms.Form):
    amount = MoneyFormField(label=_("Amount"), min_value=Decimal("0.01"), widget=forms.NumberInput(attrs={"step": "0.01"}))
    written_on = DateField(label=_("Date"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("written_on", timezone.localdate())


class PaymentFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Customer"), required=False)
    date_from = DateField(label=pgettext_lazy("period", "From"), required=False)
    date_to = DateField(label=pgettext_lazy("period", "To"), required=False)


class AsOfForm(StyledFormMixin, forms.Form):
    as_of = DateField(label=_("As of"), required=False)

    def as_of_day(self) -> date:
        if self.is_valid() and self.cleaned_data.get("as_of"):
            return self.cleaned_data["as_of"]
        return timezone.localdate()


class PeriodForm(StyledFormMixin, forms.Form):
    """A month (YYYY-MM, default this month), or a from/to range that overrides it."""

    month = forms.CharField(label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
    date_from = DateField(label=pgettext_lazy("period", "From"), required=False)
    date_to = DateField(label=pgettext_lazy("period", "To"), required=False)

    def clean_month(self) -> date | None:
        """The first day of the month given as YYYY-MM (None when empty), within the date range."""
        month = (self.cleaned_data.get("month") or "").strip()
        if not month:
            return None
        try:
            year, number = (int(p) for p in month.split("-"))
            first = date(year, number, 1)
        except (ValueError, TypeError):
            raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="invalid") from None
        validate_date_in_range(first)
        return first

    def period(self) -> tuple[date, date]:
        """(first, last day) of the chosen period; this month when the input is empty or not valid."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] <= data["date_to"]:
            return data["date_from"], data["date_to"]
        first = month_start(data.get("month") or today)
        return first, month_end(first)

"""Forms of the finance pages: recording a payment, a write-off, and the filters of the lists."""

from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.finance.models import Receivable
from kehu.sales.models import Contract

DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class PaymentForm(forms.Form):
    """The selects list only this customer's contracts and open receivables (the customer was
    fetched through the visibility scope)."""

    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=Decimal("0.01"),
                                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}))
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE_INPUT)
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=Contract.objects.none(), required=False,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    seq = forms.IntegerField(label=_("Instalment"), min_value=1, required=False,
                             help_text=_("Leave empty to fill the contract's open instalments, oldest first."),
                             widget=forms.NumberInput(attrs={"class": "form-control"}))
    receivable = forms.ModelChoiceField(label=_("Receivable"), queryset=Receivable.objects.none(), required=False,
                                        widget=forms.Select(attrs={"class": "form-select"}))
    code = forms.CharField(label=_("Code"), max_length=32, required=False,
                           help_text=_("Leave empty for a generated code."), widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.filter(customer=customer).order_by("-signed_on", "-pk")
        self.fields["receivable"].queryset = (
            Receivable.objects.filter(customer=customer, open_amount__gt=0).select_related("order").order_by("due_on", "pk")
        )
        self.fields["receivable"].label_from_instance = self._receivable_label
        if not self.is_bound:
            self.initial.setdefault("paid_on", timezone.localdate())

    @staticmethod
    def _receivable_label(receivable) -> str:
        order = receivable.order.code if receivable.order_id else "#%s" % receivable.pk
        return _("%(order)s · open %(open)s %(currency)s · due %(due)s") % {
            "order": order, "open": receivable.open_amount, "currency": receivable.currency, "due": receivable.due_on,
        }

    def clean(self):
        data = super().clean()
        if data.get("seq") and not data.get("contract"):
            self.add_error("seq", _("Choose the contract of the instalment."))
        if data.get("contract") and data.get("receivable"):
            self.add_error("receivable", _("Choose a contract or a receivable, not both."))
        return data


class WriteOffForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=Decimal("0.01"),
                                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}))
    written_on = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("written_on", timezone.localdate())


class PaymentFilterForm(forms.Form):
    q = forms.CharField(label=_("Customer"), required=False)
    date_from = forms.DateField(label=pgettext_lazy("period", "From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=pgettext_lazy("period", "To"), required=False, widget=DATE_INPUT)


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE_INPUT)

    def as_of_day(self) -> date:
        if self.is_valid() and self.cleaned_data.get("as_of"):
            return self.cleaned_data["as_of"]
        return timezone.localdate()


class PeriodForm(forms.Form):
    """A month (YYYY-MM, default this month), or a from/to range that overrides it."""

    month = forms.CharField(label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month", "class": "form-control"}))
    date_from = forms.DateField(label=pgettext_lazy("period", "From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=pgettext_lazy("period", "To"), required=False, widget=DATE_INPUT)

    def period(self) -> tuple[date, date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] <= data["date_to"]:
            return data["date_from"], data["date_to"]
        first = today.replace(day=1)
        month = (data.get("month") or "").strip()
        if month:
            try:
                year, number = (int(p) for p in month.split("-")[:2])
                first = date(year, number, 1)
            except (ValueError, TypeError):
                first = today.replace(day=1)
        nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        return first, date.fromordinal(nxt.toordinal() - 1)

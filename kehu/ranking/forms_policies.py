"""The tier policies page: one small form per tier or class (prefix "<model>-<class>"); they
parse input, `kehu.ranking.policy.tier_policies_set` applies the rules and saves."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.ranking.policy import MAX_DAYS, model_classes


class TierPolicyForm(forms.Form):
    max_discount_pct = forms.DecimalField(label=_("Maximum discount %"), min_value=Decimal(0), max_value=Decimal(100),
                                          max_digits=5, decimal_places=2, required=False)
    payment_term_days = forms.IntegerField(label=_("Payment term (days)"), min_value=0, max_value=MAX_DAYS, required=False)
    visit_interval_days = forms.IntegerField(label=_("Visit interval (days)"), min_value=0, max_value=MAX_DAYS, required=False)
    commission_rate_pct = forms.DecimalField(label=_("Commission rate %"), min_value=Decimal(0), max_value=Decimal(100),
                                             max_digits=5, decimal_places=2, required=False)
    service_notes = forms.CharField(label=_("Service notes"), max_length=4000, required=False,
                                    widget=forms.Textarea(attrs={"rows": 1}))

    def __init__(self, *args, model: str, klass: str, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.model, self.klass, self.label = model, klass, label
        for name, f in self.fields.items():
            f.widget.attrs.update({"class": "form-control form-control-sm", "aria-label": f"{label}: {f.label}"})
            if isinstance(f, forms.DecimalField):
                f.widget.attrs.update({"step": "0.01", "inputmode": "decimal"})


def policy_forms(data=None, *, rows) -> dict[str, list[TierPolicyForm]]:
    """{model: [form per class]} with the saved values of `rows` ({(model, class): TierPolicy})."""
    result = {}
    for model, classes in model_classes().items():
        result[model] = []
        for klass, label in classes:
            row = rows.get((model, klass))
            initial = {}
            if row is not None:
                initial = {name: getattr(row, name) for name in TierPolicyForm.base_fields}
            result[model].append(TierPolicyForm(data, model=model, klass=klass, label=label, prefix=f"{model}-{klass}", initial=initial))
    return result

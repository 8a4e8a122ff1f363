"""The manager's adjustment form of the roll-up."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyFormField
from kehu.core.forms import StyledFormMixin


class AdjustForm(StyledFormMixin, forms.Form):
    small_widgets = True

    commit = MoneyFormField(label=_("Adjusted commit"), min_value=0)
    best_case = MoneyFormField(label=_("Adjusted best case"), min_value=0, required=False)
    note = forms.CharField(label=_("Why"), max_length=500)

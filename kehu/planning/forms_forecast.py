"""Forms of the weekly forecast pages: one line of the grid, the submission (commit and best case
per open period), the forecast settings."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyFormField
from kehu.core.forms import DateField, seen_load
from kehu.planning.models import PlanningSettings
from kehu.sales.models import Opportunity, OpportunityStage

Category = Opportunity.ForecastCategory
GRID_CATEGORY_CHOICES = [(c.value, c.label) for c in (Category.PIPELINE, Category.BEST_CASE, Category.COMMIT, Category.OMITTED)]


class ForecastLineForm(forms.Form):
    """The fields of article 000 a rep edits inline; saved by forecast_line_save (the sales
    services' rules). `seen` carries the values the row was shown with."""

    expected_close_on = DateField(label=_("expected close"), required=False)
    amount = MoneyFormField(label=_("amount"), min_value=0)
    product_lines = forms.CharField(label=_("product lines"), max_length=255, required=False)
    stage = forms.ModelChoiceField(label=_("stage"), queryset=OpportunityStage.objects.all(), to_field_name="pk")
    probability = forms.IntegerField(label=_("probability %"), min_value=0, max_value=100, required=False)
    forecast_category = forms.ChoiceField(label=_("forecast category"), choices=GRID_CATEGORY_CHOICES)
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "expected_close_on": data["expected_close_on"], "amount": data["amount"], "product_lines": data["product_lines"],
            "probability": data["probability"], "forecast_category": data["forecast_category"], "stage": data["stage"],
            "seen": seen_load(data.get("seen")),
        }


def commit_name(label: str) -> str:
    return f"commit_{label}"


def best_name(label: str) -> str:
    return f"best_{label}"


class ForecastSubmitForm(forms.Form):
    """Commit and best case for each open period (pre-filled from the grid's categories)."""

    def __init__(self, *args, periods, initial_numbers: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.periods = periods
        initial_numbers = initial_numbers or {}
        for period in periods:
            commit, best = initial_numbers.get(period.label, (None, None))
            self.fields[commit_name(period.label)] = MoneyFormField(label=_("Commit"), min_value=0, initial=commit)
            self.fields[best_name(period.label)] = MoneyFormField(label=_("Best case"), min_value=0, initial=best)

    def fields_initial(self, numbers: dict) -> None:
        """The pre-filled numbers as the fields' initial values (what the page's script compares
        with) while the bound values stay what the rep typed."""
        for period in self.periods:
            commit, best = numbers.get(period.label, (None, None))
            self.fields[commit_name(period.label)].initial = commit
            self.fields[best_name(period.label)].initial = best

    def rows(self):
        """(period, commit bound field, best case bound field) per open period."""
        return [(p, self[commit_name(p.label)], self[best_name(p.label)]) for p in self.periods]

    def clean(self):
        cleaned = super().clean()
        for period in self.periods:
            commit, best = cleaned.get(commit_name(period.label)), cleaned.get(best_name(period.label))
            if commit is not None and best is not None and best < commit:
                self.add_error(best_name(period.label), _("The best case cannot be below the commit."))
        return cleaned

    def numbers(self) -> dict:
        return {p.label: (self.cleaned_data[commit_name(p.label)], self.cleaned_data[best_name(p.label)]) for p in self.periods}


class PlanningSettingsForm(forms.Form):
    cutoff_weekday = forms.TypedChoiceField(label=capfirst(_("forecast cut-off day")), choices=PlanningSettings.Weekday.choices, coerce=int)
    send_reminders = forms.BooleanField(label=capfirst(_("remind reps the day before the cut-off")), required=False)

"""The form to start an evaluation run (the run itself is `services.evaluation_run`)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.ranking.models import EvaluationRun, RankingSettings
from kehu.ranking.services import MAX_WINDOW_MONTHS


class RunCreateForm(forms.Form):
    model = forms.ChoiceField(label=_("Model"), choices=EvaluationRun.Model.choices)
    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}))
    window_months = forms.IntegerField(
        label=_("Window (months)"), min_value=1, max_value=MAX_WINDOW_MONTHS,
        help_text=_("Empty: the model's setting."), required=False,
    )

    def __init__(self, *args, model: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if model not in EvaluationRun.Model.values:
            model = EvaluationRun.Model.PYRAMID
        self.fields["model"].initial = model
        self.fields["as_of"].initial = timezone.localdate()
        self.fields["as_of"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["window_months"].initial = RankingSettings.load(model).window_months
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

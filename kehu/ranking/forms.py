"""The ranking app's forms: a new evaluation run, one model's scoring settings, the tier
policies (one small form per tier or class). They parse input; the services apply the rules."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.dates import DATE_MIN
from kehu.core.forms import DateField, SeenFormMixin, StyledFormMixin, style_form
from kehu.ranking.errors import RankingError
from kehu.ranking.models import EvaluationRun, RankingSettings
from kehu.ranking.params import MAX_WINDOW_MONTHS, PARAMETER_TEXT, params_json, resolve_params
from kehu.ranking.policy import MAX_DAYS, model_classes
from kehu.ranking.scoring import DEFAULTS
from kehu.ranking.snapshots import param_field_name, settings_snapshot

# ---------------------------------------------------------------------------- a new run


class RunCreateForm(StyledFormMixin, forms.Form):
    """The form behind every “Run now” button (`services.evaluation_run` does the run). The
    as-of date is an ISO `<input type=date>` whatever the language, from 2000 to today."""

    model = forms.ChoiceField(label=_("Model"), choices=EvaluationRun.Model.choices)
    as_of = DateField(label=_("As of"))
    window_months = forms.IntegerField(
        label=_("Window (months)"), min_value=1, max_value=MAX_WINDOW_MONTHS,
        help_text=_("Empty: the model's setting."), required=False,
    )

    def __init__(self, *args, model: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if model not in EvaluationRun.Model.values:
            model = EvaluationRun.Model.PYRAMID
        today = timezone.localdate()
        self.fields["model"].initial = model
        self.fields["as_of"].initial = today
        self.fields["as_of"].widget.attrs.update({"min": DATE_MIN.isoformat(), "max": today.isoformat()})
        self.fields["window_months"].initial = RankingSettings.load(model).window_months


# ---------------------------------------------------------------------------- scoring settings


class RankingSettingsForm(SeenFormMixin, forms.Form):
    """One model's settings (DOMAIN.md §5): window, schedule and every parameter of the model as
    text (blank = the default), checked by `params.resolve_params`. `cleaned_data["params"]`:
    only the parameters that differ from the defaults, as exact strings (integers for integer
    parameters). Carries the values it was opened with (`form.seen`, the stale-edit guard)."""

    window_months = forms.IntegerField(label=_("Window (months)"), min_value=1, max_value=MAX_WINDOW_MONTHS,
                                       help_text=_("Orders, payments and contracts of this many months up to the as-of date count."))
    every_months = forms.IntegerField(label=_("Run every (months)"), min_value=0, max_value=MAX_WINDOW_MONTHS,
                                      help_text=_("Kehu evaluates the model again when its latest run is this many months old; 0: only when somebody runs it."))

    def __init__(self, *args, model: str, conf: RankingSettings, **kwargs):
        self.model = model
        self.conf = conf
        self.instance = settings_snapshot(conf)
        kwargs.setdefault("initial", dict(self.instance.values))
        kwargs.setdefault("prefix", model)
        super().__init__(*args, **kwargs)
        for name, default in DEFAULTS[model].items():
            label, help_text = PARAMETER_TEXT[model].get(name, (name, ""))
            self.fields[param_field_name(name)] = forms.CharField(
                label=label, help_text=help_text, required=False, max_length=40,
                widget=forms.TextInput(attrs={"placeholder": str(default), "inputmode": "decimal"}),
            )
        style_form(self, small=True)

    def seen_field_names(self) -> list[str]:
        return ["window_months", "every_months", *(param_field_name(name) for name in DEFAULTS[self.model])]

    def param_fields(self):
        return [self[param_field_name(name)] for name in DEFAULTS[self.model]]

    def clean(self):
        cleaned = super().clean()
        given = {name: (cleaned.get(param_field_name(name)) or "").strip() for name in DEFAULTS[self.model]}
        given = {k: v for k, v in given.items() if v != ""}
        for name, raw in given.items():  # each value alone first, so the error sits on its field
            try:
                resolve_params(self.model, {name: raw})
            except RankingError as exc:
                self.add_error(param_field_name(name), str(exc))
        if self.errors:
            return cleaned
        try:
            full = resolve_params(self.model, given)
        except RankingError as exc:
            raise forms.ValidationError(str(exc)) from None
        defaults = DEFAULTS[self.model]
        cleaned["params"] = params_json({k: v for k, v in full.items() if v != defaults[k]})
        return cleaned


# ---------------------------------------------------------------------------- tier policies


class TierPolicyForm(forms.Form):
    """One tier's or class's row of the policies page (prefix "<model>-<class>");
    `services.tier_policies_set` applies the rules and saves the whole page."""

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
        style_form(self, small=True)
        for f in self.fields.values():
            f.widget.attrs["aria-label"] = f"{label}: {f.label}"
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

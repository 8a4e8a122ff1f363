"""The scoring settings form (DOMAIN.md §5): one form per model — window, schedule and every
parameter of the model as text (blank = the default), checked by `services.resolve_params`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.ranking.models import RankingSettings
from kehu.ranking.services import DEFAULTS, MAX_WINDOW_MONTHS, RankingError, params_json, resolve_params

# {model: {parameter: (label, help)}}, in the order of DEFAULTS.
PARAMETER_TEXT = {
    "pyramid": {
        "important": (_("Important: top share (0–1)"), _("Share of customers, by profit, in the important tier.")),
        "major": (_("Major: top share (0–1)"), _("Cumulative share of customers in the important and major tiers.")),
        "ordinary": (_("Ordinary: top share (0–1)"), _("Cumulative share of customers down to the ordinary tier; the rest are small.")),
    },
    "value": {
        "w_sales": (_("Weight of sales"), _("Weight of the sales percentile score.")),
        "w_collection_rate": (_("Weight of the collection rate"), _("Weight of the collection rate percentile score.")),
        "w_on_time_share": (_("Weight of the on-time share"), _("Weight of the share of instalments paid on time.")),
        "w_margin": (_("Weight of the gross margin"), _("Weight of the gross margin percentile score.")),
        "w_influence": (_("Weight of influence"), _("Weight of the industry influence percentile score.")),
        "w_growth": (_("Weight of growth"), _("Weight of the sales growth percentile score.")),
        "problem_collection_rate": (_("Problem: collection rate below (0–1)"), _("A customer collecting less than this is a problem customer.")),
        "problem_mean_days_late": (_("Problem: mean days late above"), _("A customer paying later than this on average is a problem customer.")),
        "diamond_top": (_("Diamond: top share by score (0–1)"), _("Share of the population, by score rank, that is diamond.")),
        "strategic_top": (_("Strategic: top share by score (0–1)"), _("Score-rank share within which influential customers are strategic.")),
        "strategic_influence": (_("Strategic: minimum influence (1–5)"), _("Industry influence a strategic customer needs at least.")),
        "potential_growth_top": (_("Potential: top share by growth (0–1)"), _("Growth-rank share that makes a customer potential.")),
        "opportunity_influence": (_("Important opportunity: minimum influence (1–5)"), _("A prospect this influential is an important opportunity.")),
        "opportunity_pipeline": (_("Important opportunity: open pipeline from"), _("A prospect with at least this much in open opportunities is an important opportunity.")),
    },
    "key_account": {
        "w_contract_volume": (_("Weight of contract volume"), _("Weight of the amount of contracts signed in the window.")),
        "w_price_level": (_("Weight of the price level"), _("Weight of sales divided by list-price value.")),
        "w_sales": (_("Weight of sales"), _("Weight of the sales percentile score.")),
        "w_collection_rate": (_("Weight of the collection rate"), _("Weight of the collection rate percentile score.")),
        "w_profit": (_("Weight of profit"), _("Weight of the profit percentile score.")),
        "w_quality_losses": (_("Weight of quality losses"), _("Weight of the quality losses score (lower losses score higher).")),
        "w_influence": (_("Weight of influence"), _("Weight of the industry influence percentile score.")),
        "w_reputation": (_("Weight of reputation"), _("Weight of the reputation percentile score.")),
        "threshold": (_("Key-account score threshold (0–100)"), _("Customers scoring at least this are key accounts.")),
    },
}


def param_field_name(name: str) -> str:
    return f"p_{name}"


class RankingSettingsForm(forms.Form):
    """One model's settings. `cleaned_data["params"]`: only the parameters that differ from the
    defaults, as exact strings (integers for integer parameters)."""

    window_months = forms.IntegerField(label=_("Window (months)"), min_value=1, max_value=MAX_WINDOW_MONTHS,
                                       help_text=_("Orders, payments and contracts of this many months up to the as-of date count."))
    every_months = forms.IntegerField(label=_("Run every (months)"), min_value=0, max_value=MAX_WINDOW_MONTHS,
                                      help_text=_("kehu daily runs the model when its latest run is this many months old; 0: never by schedule."))

    def __init__(self, *args, model: str, conf: RankingSettings, **kwargs):
        stored = {k: (str(v) if v is not None else "") for k, v in (conf.params or {}).items()}
        initial = {"window_months": conf.window_months, "every_months": conf.every_months}
        initial.update({param_field_name(k): v for k, v in stored.items()})
        kwargs.setdefault("initial", initial)
        kwargs.setdefault("prefix", model)
        super().__init__(*args, **kwargs)
        self.model = model
        self.conf = conf
        for name, default in DEFAULTS[model].items():
            label, help_text = PARAMETER_TEXT[model].get(name, (name, ""))
            self.fields[param_field_name(name)] = forms.CharField(
                label=label, help_text=help_text, required=False, max_length=40,
                widget=forms.TextInput(attrs={"placeholder": str(default), "inputmode": "decimal"}),
            )

    def param_fields(self):
        return [self[param_field_name(name)] for name in DEFAULTS[self.model]]

    def clean(self):
        cleaned = super().clean()
        given = {name: cleaned.get(param_field_name(name), "").strip() for name in DEFAULTS[self.model]}
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

"""Serializers of the rest of the API a page offers (issue 14, engineer apirest: kehu/api/rest.py):
the anomalies, buying factors, what it takes and the Friday review; a forecast adjustment; the
comparison of two ranking runs. Money as decimal strings beside the currency, ratios as fractions
with four decimals, as the other report endpoints (kehu/api/reports_serializers.py)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.activities.models import Activity
from kehu.api import filters
from kehu.api.planning_serializers import RollupRepSerializer
from kehu.api.serializers import money_field
from kehu.api.strings import StrictCharField
from kehu.customers.models import BuyingFactor

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
MONTH_OR_QUARTER = r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$"


def _ratio(help_text=None):
    return serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=True, allow_null=True, help_text=help_text)


class _PeopleQuery(serializers.Serializer):
    team = filters.id_field(_("One of your teams (its id)."))
    rep = filters.id_field(_("One of your reps (their id)."))


# --- anomalies ---------------------------------------------------------------------------------

class AnomalyQuerySerializer(_PeopleQuery):
    period = serializers.RegexField(MONTH, required=False, help_text=_("A month (2026-06); default the month just ended."))
    share = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
                                     help_text=_("The share (in percent) of the usual month under which a month is an anomaly (default 20)."))

    def validate_share(self, value):
        if value <= 0:
            raise serializers.ValidationError(_("The share is a percentage above 0 and at most 100."), code="min_value")
        return value


class MonthAmountSerializer(serializers.Serializer):
    month = StrictCharField(help_text=_("A month, 2026-06."))
    revenue = money_field()


class MonthCountSerializer(serializers.Serializer):
    month = StrictCharField(help_text=_("A month, 2026-06."))
    count = serializers.IntegerField()


class RevenueAlertSerializer(serializers.Serializer):
    rep = serializers.IntegerField()
    rep_name = StrictCharField()
    team = serializers.IntegerField(allow_null=True)
    team_name = StrictCharField(allow_blank=True)
    revenue = money_field(help_text=_("The month's revenue."))
    usual = money_field(help_text=_("The median of the six months before, half-up to the cent."))
    ratio = _ratio(_("revenue ÷ the usual month, a fraction."))
    months = MonthAmountSerializer(many=True, help_text=_("The six months before and the month, oldest first."))


class FollowupAlertSerializer(serializers.Serializer):
    rep = serializers.IntegerField()
    rep_name = StrictCharField()
    team = serializers.IntegerField(allow_null=True)
    team_name = StrictCharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    kind_label = StrictCharField()
    count = serializers.IntegerField(help_text=_("Follow-ups of the kind logged in the month."))
    usual = serializers.DecimalField(max_digits=9, decimal_places=1, coerce_to_string=True,
                                     help_text=_("The median of the six months before (a whole or half count)."))
    ratio = _ratio(_("count ÷ the usual month, a fraction."))
    months = MonthCountSerializer(many=True, help_text=_("The six months before and the month, oldest first."))


class AnomalyReportSerializer(serializers.Serializer):
    period = StrictCharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    so_far = serializers.BooleanField(help_text=_("The month is still running: its figures so far."))
    share = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    currency = StrictCharField()
    revenue = RevenueAlertSerializer(many=True)
    followups = FollowupAlertSerializer(many=True)


# --- buying factors ----------------------------------------------------------------------------

class CellSerializer(serializers.Serializer):
    factor = serializers.ChoiceField(choices=BuyingFactor.choices)
    count = serializers.IntegerField()
    share = _ratio(_("count ÷ the segment's rows; null for an empty segment."))


class UnknownCellSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    share = _ratio()


class SegmentSerializer(serializers.Serializer):
    key = StrictCharField(allow_blank=True, help_text=_("The tier, class or industry; empty: none; __other__: the other industries."))
    label = StrictCharField()
    rows = serializers.IntegerField(help_text=_("Customers (deals for the deals) in the segment."))
    first = CellSerializer(many=True, help_text=_("Per factor: named first."))
    either = CellSerializer(many=True, help_text=_("Per factor: named first or second."))
    unknown = UnknownCellSerializer(help_text=_("No first factor."))


class DimensionSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["tiers", "classes", "industries", "deals"])
    title = StrictCharField()
    segment_title = StrictCharField()
    segments = SegmentSerializer(many=True)


class FactorWinRateSerializer(serializers.Serializer):
    factor = serializers.ChoiceField(choices=BuyingFactor.choices)
    label = StrictCharField()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = _ratio()


class WinnerSerializer(serializers.Serializer):
    factor = serializers.ChoiceField(choices=BuyingFactor.choices)
    label = StrictCharField()
    won = serializers.IntegerField()
    won_deals = serializers.IntegerField()
    share = _ratio()


class FactorsReportSerializer(serializers.Serializer):
    period = StrictCharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    factors = serializers.ListField(child=serializers.DictField(child=StrictCharField()),
                                    help_text=_("The factors in the order of every list: code and label."))
    dimensions = DimensionSerializer(many=True, help_text=_("The customers as they are now: by tier, class and industry."))
    deals = DimensionSerializer(help_text=_("The deals won and lost in the period."))
    win_rates = FactorWinRateSerializer(many=True)
    winner = WinnerSerializer(allow_null=True)


# --- what it takes -----------------------------------------------------------------------------

class WhatItTakesQuerySerializer(_PeopleQuery):
    period = serializers.RegexField(MONTH_OR_QUARTER, required=False,
                                    help_text=_("A month (2026-06) or a quarter (2026-Q2); default this month."))


RATE_SOURCES = ["own", "team", "company", "none"]


class DealSizeSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=RATE_SOURCES, help_text=_("Whose history: the rep's own, the team's, the company's; none."))
    won_amount = money_field(allow_null=True)
    won_count = serializers.IntegerField(allow_null=True)


class CountRateSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=RATE_SOURCES)
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)


class HistorySerializer(serializers.Serializer):
    won_count = serializers.IntegerField()
    won_amount = money_field()
    qualified = serializers.IntegerField()
    prospects = serializers.IntegerField()


class NeedSerializer(serializers.Serializer):
    rep = serializers.IntegerField()
    rep_name = StrictCharField()
    team = serializers.IntegerField(allow_null=True)
    target = money_field(allow_null=True, help_text=_("The won target of the period; null without one."))
    won = money_field()
    gap = money_field(allow_null=True, help_text=_("target − won; null without a target."))
    on_target = serializers.BooleanField()
    average_deal = money_field(allow_null=True, help_text=_("The average won deal, half-up to the cent."))
    deal_size = DealSizeSerializer()
    win_rate = CountRateSerializer(help_text=_("Deals won (numerator) per qualified customer (denominator)."))
    qualify_rate = CountRateSerializer(help_text=_("Qualified customers (numerator) per new prospect (denominator)."))
    deals = serializers.IntegerField(allow_null=True, help_text=_("Deals needed; null when there is no gap or no rate."))
    qualified = serializers.IntegerField(allow_null=True)
    prospects = serializers.IntegerField(allow_null=True)
    history = HistorySerializer(help_text=_("The rep's own twelve months before the period."))


class WhatItTakesSerializer(serializers.Serializer):
    period = StrictCharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = StrictCharField()
    history_months = serializers.IntegerField()
    rows = NeedSerializer(many=True)


# --- the Friday review -------------------------------------------------------------------------

class ReviewQuerySerializer(serializers.Serializer):
    period = serializers.RegexField(MONTH_OR_QUARTER, required=False,
                                    help_text=_("A month (2026-06) or a quarter (2026-Q2); default this quarter."))
    team = filters.id_field(_("One of your teams (its id); default your whole scope."))
    since = serializers.DateField(required=False, help_text=_("The waterfall's first day (default a week ago; at most a year back)."))


class BarSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["new", "pulled_in", "pushed_out", "amount_up", "amount_down", "won", "lost"])
    label = StrictCharField()
    amount = money_field(help_text=_("Its change of the open amount (negative for what left)."))
    count = serializers.IntegerField()


class WaterfallSerializer(serializers.Serializer):
    since = serializers.DateField()
    start = money_field(help_text=_("Open and expected in the period at the start of since."))
    start_count = serializers.IntegerField()
    end = money_field(help_text=_("Open and expected in the period now: start + Σ bars."))
    end_count = serializers.IntegerField()
    bars = BarSerializer(many=True)


class SlippingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = StrictCharField()
    title = StrictCharField()
    customer = serializers.IntegerField()
    customer_name = StrictCharField()
    owner = serializers.IntegerField(allow_null=True)
    owner_name = StrictCharField(allow_null=True)
    stage = StrictCharField()
    amount = money_field()
    currency = StrictCharField()
    expected_close_on = serializers.DateField(allow_null=True)
    push_count = serializers.IntegerField()


REVIEW_SCOPES = ["company", "team", "teams"]


class ReviewSerializer(serializers.Serializer):
    period = StrictCharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = StrictCharField()
    scope = serializers.ChoiceField(choices=REVIEW_SCOPES)
    team = serializers.IntegerField(allow_null=True)
    teams = serializers.ListField(child=serializers.IntegerField(), help_text=_("The teams of the scope (none: the company)."))
    target = money_field(allow_null=True, help_text=_("The scope's own won target; null without one."))
    members_target = money_field(allow_null=True, help_text=_("Σ the reps' targets; null without any."))
    goal = money_field(allow_null=True, help_text=_("The target the gap and coverage use: the scope's own, else the reps'."))
    won = money_field()
    commit = money_field()
    adjusted_commit = money_field()
    best_case = money_field()
    adjusted_best_case = money_field()
    open_weighted = money_field()
    weighted = money_field()
    gap = money_field(allow_null=True, help_text=_("goal − (won + adjusted commit)."))
    gap_unadjusted = money_field(allow_null=True, help_text=_("goal − (won + commit)."))
    coverage = _ratio(_("open weighted ÷ (goal − won); null when that is not above 0."))
    rows = RollupRepSerializer(many=True)
    waterfall = WaterfallSerializer()
    slipping = SlippingSerializer(many=True, help_text=_("Deals pushed out twice or more, the first 50 you may open."))
    slipping_count = serializers.IntegerField()


# --- a forecast adjustment ---------------------------------------------------------------------

class AdjustSerializer(serializers.Serializer):
    commit = money_field(min_value=0)
    best_case = money_field(min_value=0, required=False, allow_null=True)
    note = StrictCharField(max_length=500, help_text=_("Why (required)."))


class AdjustmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    submission = serializers.IntegerField(source="submission_id")
    commit = money_field()
    best_case = money_field(allow_null=True)
    currency = StrictCharField(source="submission.currency")
    note = StrictCharField()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()


# --- ranking run comparison --------------------------------------------------------------------

# `with` is a Python keyword: the field is declared by name.
CompareQuerySerializer = type("CompareQuerySerializer", (serializers.Serializer,), {
    "__module__": __name__,
    "with": filters.id_field(_("The run to compare with (before); default the run of the same model made just before.")),
})


class IndicatorChangeSerializer(serializers.Serializer):
    name = StrictCharField()
    label = StrictCharField()
    money = serializers.BooleanField(help_text=_("An amount (in the run's currency)."))
    ratio = serializers.BooleanField(help_text=_("A fraction (0.3145 is 31.45 %)."))
    before = StrictCharField(allow_null=True, help_text=_("A decimal string as the run stored it; null: not ranked then."))
    after = StrictCharField(allow_null=True)


class CompareRowSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    customer_code = StrictCharField()
    customer_name = StrictCharField()
    class_from = StrictCharField(allow_null=True, help_text=_("Promoted and demoted: the class before (its label)."))
    class_to = StrictCharField(allow_null=True)
    changes = IndicatorChangeSerializer(many=True)


class CompareSectionSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text=_("Customers of the section you may see."))
    results = CompareRowSerializer(many=True, help_text=_("The first 100, by customer code."))


class CompareSerializer(serializers.Serializer):
    after = serializers.IntegerField(help_text=_("This run."))
    before = serializers.IntegerField(allow_null=True, help_text=_("The run compared with; null: there is none."))
    model = StrictCharField()
    entered = CompareSectionSerializer()
    left = CompareSectionSerializer()
    promoted = CompareSectionSerializer()
    demoted = CompareSectionSerializer()


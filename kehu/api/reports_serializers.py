"""Serializers of the report figures API (kehu/api/reports.py)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.api.strings import StrictCharField

from kehu.api.serializers import money_field
from kehu.customers.models import Customer


class ReportQuerySerializer(serializers.Serializer):
    """The filter bar every report shares (kehu.reports.filters.report_filter)."""

    period = StrictCharField(required=False, max_length=10,
                                   help_text=_("A week, month, quarter, half or year (2026-W23, 2026-06, 2026-Q2, 2026-H1, 2026); default this quarter."))
    team = serializers.IntegerField(required=False, min_value=1, help_text=_("One of your teams (its id)."))
    rep = serializers.IntegerField(required=False, min_value=1, help_text=_("One of your reps (their id)."))
    source = serializers.ChoiceField(choices=Customer.LeadSource.values, required=False, help_text=_("A lead source."))


class CodeLabelSerializer(serializers.Serializer):
    code = StrictCharField(allow_blank=True, help_text=_("Empty: not ranked."))
    label = StrictCharField()


class SourceRowSerializer(serializers.Serializer):
    label = StrictCharField()
    customers = serializers.IntegerField(help_text=_("The source's customers in scope, today."))
    acquired = serializers.IntegerField(help_text=_("Of them, created in the period."))
    signed = serializers.IntegerField(help_text=_("Of them, signed or VIP today."))
    conversion = serializers.DecimalField(max_digits=7, decimal_places=4, coerce_to_string=True, allow_null=True,
                                          help_text=_("signed ÷ customers, a fraction; null without customers."))
    won = serializers.IntegerField(help_text=_("Deals won in the period."))
    won_amount = money_field()
    revenue = money_field()
    tier_counts = serializers.ListField(child=serializers.IntegerField(), help_text=_("Customers per pyramid tier, in the order of tiers."))
    class_counts = serializers.ListField(child=serializers.IntegerField(), help_text=_("Customers per value class, in the order of classes."))


class LeadSourceRowSerializer(SourceRowSerializer):
    source = serializers.ChoiceField(choices=Customer.LeadSource.values, allow_null=True, help_text=_("Null: no source."))


class ReferrerRowSerializer(SourceRowSerializer):
    referrer_kind = serializers.ChoiceField(choices=["customer", "contact", "agent", ""], help_text=_("Who referred: a customer, a contact or an agent."))
    hidden = serializers.BooleanField(help_text=_("A customer or contact you may not open (no name)."))


class SourcesReportSerializer(serializers.Serializer):
    period = StrictCharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = StrictCharField()
    tiers = CodeLabelSerializer(many=True)
    classes = CodeLabelSerializer(many=True)
    sources = LeadSourceRowSerializer(many=True)
    total = SourceRowSerializer()
    referrers = ReferrerRowSerializer(many=True, help_text=_("The top referrers, as on the page."))
    referrer_count = serializers.IntegerField()


def _ratio(help_text=None):
    return serializers.DecimalField(max_digits=9, decimal_places=4, coerce_to_string=True, allow_null=True, help_text=help_text)


def _days(help_text=None):
    return serializers.DecimalField(max_digits=9, decimal_places=1, coerce_to_string=True, allow_null=True, help_text=help_text)


class LifecycleRowSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Customer.Stage.choices)
    label = StrictCharField()
    now = serializers.IntegerField(help_text=_("Customers in the stage today."))
    reached = serializers.IntegerField(help_text=_("Customers who reached it in the period."))
    conversion = _ratio(_("Reached the next stage ÷ reached this one; null when none reached it."))


class OpportunityStageRowSerializer(serializers.Serializer):
    stage = serializers.IntegerField(help_text=_("The opportunity stage (its id)."))
    label = StrictCharField()
    reached = serializers.IntegerField()
    conversion = _ratio()
    stays = serializers.IntegerField(help_text=_("Stays in the stage that ended in the period."))
    median_days = _days()
    p75_days = _days()


class FunnelGroupSerializer(serializers.Serializer):
    key = StrictCharField(allow_null=True, help_text=_("The rep's or team's id, or the lead source's code; null: none."))
    label = StrictCharField()
    prospects = serializers.IntegerField()
    signed = serializers.IntegerField()
    conversion = _ratio()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = _ratio()
    won_amount = money_field()
    deal_size = money_field(allow_null=True)
    cycle_median = _days()


class FunnelReportSerializer(serializers.Serializer):
    period = StrictCharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = StrictCharField()
    lifecycle = LifecycleRowSerializer(many=True)
    stages = OpportunityStageRowSerializer(many=True)
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = _ratio()
    won_amount = money_field()
    deal_size = money_field(allow_null=True)
    cycle_median = _days()
    cycle_count = serializers.IntegerField()
    by_rep = FunnelGroupSerializer(many=True)
    by_team = FunnelGroupSerializer(many=True)
    by_source = FunnelGroupSerializer(many=True)


class ActivityQuerySerializer(ReportQuerySerializer):
    rank = serializers.ChoiceField(choices=["won", "revenue", "collections", "followups", "attainment"], required=False,
                                   help_text=_("The leaderboard's measure (default won)."))


class ActivityRowSerializer(serializers.Serializer):
    rep = serializers.IntegerField(allow_null=True, help_text=_("Null in the totals."))
    rep_name = StrictCharField(allow_null=True)
    new_customers = serializers.IntegerField()
    kinds = serializers.DictField(child=serializers.IntegerField(), help_text=_("Follow-ups per kind."))
    followups = serializers.IntegerField()
    levels = serializers.DictField(child=serializers.IntegerField(), help_text=_("Visits per visit level."))
    visits_unlevelled = serializers.IntegerField()
    prospects = serializers.IntegerField()
    qualified = serializers.IntegerField()
    quotes = serializers.IntegerField()
    won_count = serializers.IntegerField()
    won_amount = money_field()
    revenue = money_field()
    collected = money_field()
    missed = serializers.IntegerField(help_text=_("Planned follow-ups missed."))
    target_amount = money_field(allow_null=True, help_text=_("The won target of the period; null without one."))
    attained = _ratio(_("won ÷ target, a fraction; null without a positive target."))


class RankRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    rep = serializers.IntegerField()
    rep_name = StrictCharField()


class ActivityReportSerializer(serializers.Serializer):
    period = StrictCharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = StrictCharField()
    rows = ActivityRowSerializer(many=True)
    totals = ActivityRowSerializer()
    rank = StrictCharField()
    leaderboard = RankRowSerializer(many=True)


class WalletQuerySerializer(ReportQuerySerializer):
    threshold = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
                                         help_text=_("The share (in percent) below which a growing account is an opportunity (default 20)."))
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=2**62, default=0)

    def validate_threshold(self, value):
        if value <= 0:
            raise serializers.ValidationError(_("The share threshold must be a number above 0 and at most 100 (two decimals at most)."),
                                              code="min_value")
        return value


class WalletRowSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    customer_code = StrictCharField()
    customer_name = StrictCharField()
    value_class = serializers.ChoiceField(choices=Customer.ValueClass.choices, allow_null=True, help_text=_("Null: not ranked."))
    category = StrictCharField()
    currency = StrictCharField()
    ours = money_field(help_text=_("Our revenue in the category in the year."))
    ours_previous = money_field()
    spend = money_field(allow_null=True, help_text=_("Their spend in the category (the archive); null without one."))
    share = _ratio(_("ours ÷ spend, a fraction; null without a spend above 0."))
    our_growth = _ratio(_("A fraction; null when last year's revenue is 0."))
    their_growth_pct = serializers.DecimalField(max_digits=9, decimal_places=1, coerce_to_string=True, allow_null=True,
                                                help_text=_("Their growth in percent, computed from last year's row or as stated."))
    their_growth_source = serializers.ChoiceField(choices=["computed", "stated", ""])
    room = money_field(allow_null=True, help_text=_("spend − ours, at least 0."))
    is_opportunity = serializers.BooleanField()


class WalletTotalSerializer(serializers.Serializer):
    currency = StrictCharField()
    ours = money_field()
    spend = money_field()
    share = _ratio()


class WalletReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    threshold = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    customers = serializers.IntegerField()
    opportunities = serializers.IntegerField()
    totals = WalletTotalSerializer(many=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WalletRowSerializer(many=True, help_text=_("One page of rows in the page's order (the opportunities first)."))

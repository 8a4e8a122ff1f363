"""Serializers of the planning API (kehu/api/planning.py): targets and weekly forecasts. Money as
decimal strings beside the currency."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.api.strings import StrictCharField

from kehu.api import filters
from kehu.api.serializers import money_field
from kehu.core.money import from_minor
from kehu.planning.breakdown import month_cents
from kehu.planning.models import ForecastSubmission, Measure, Target
from kehu.planning.services.targets import HOWS, YEAR_MAX, YEAR_MIN


class TargetSerializer(serializers.ModelSerializer):
    scope = serializers.ChoiceField(choices=Target.Scope.choices)
    measure = serializers.ChoiceField(choices=Measure.choices)
    team = serializers.IntegerField(source="team_id", allow_null=True, help_text=_("The team of a team target; else null."))
    user = serializers.IntegerField(source="user_id", allow_null=True, help_text=_("The rep of a rep target; else null."))
    amount = money_field(help_text=_("The annual target."))
    weights = serializers.ListField(child=StrictCharField(allow_blank=True), min_length=12, max_length=12,
                                    help_text=_("Twelve monthly weights as decimal strings; all empty: an even split."))
    months = serializers.SerializerMethodField(help_text=_("The twelve months' amounts of the breakdown (they sum to the year)."))
    updated_by = serializers.IntegerField(source="updated_by_id", allow_null=True)

    class Meta:
        model = Target
        fields = ["id", "scope", "team", "user", "year", "measure", "amount", "currency", "weights", "months", "updated_at", "updated_by"]

    @extend_schema_field(serializers.ListField(child=money_field(), min_length=12, max_length=12))
    def get_months(self, target) -> list[str]:
        return [str(from_minor(c)) for c in month_cents(target.amount, target.weights)]

    def to_representation(self, target):
        data = super().to_representation(target)
        data["weights"] = list(target.weights or []) + [""] * (12 - len(target.weights or []))
        return data


class TargetSetSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Target.Scope.choices)
    team = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=filters.MAX_ID)
    user = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=filters.MAX_ID)
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)
    measure = serializers.ChoiceField(choices=Measure.choices, default=Measure.WON)
    amount = money_field(min_value=0)
    weights = serializers.ListField(child=StrictCharField(allow_blank=True, max_length=40), required=False, max_length=12,
                                    help_text=_("Up to twelve monthly weights; empty or missing: an even split."))
    spread = serializers.ChoiceField(choices=list(HOWS), required=False, help_text=_(
        "How the annual amount is spread over the months, as on the targets page: even, last_year (by the scope's "
        "monthly amounts of the year before; none at all: even) or weights (the twelve weights, required). Missing: "
        "the weights if given, else even."))


class TargetFilter(filters.ListFilter):
    year = serializers.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    measure = serializers.ChoiceField(choices=Measure.values, required=False)
    scope = serializers.ChoiceField(choices=Target.Scope.values, required=False)
    user = filters.id_field(_("Only the targets of this rep (their id)."))
    team = filters.id_field(_("Only the targets of this team (its id)."))


class SubmissionSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id")
    commit = money_field()
    best_case = money_field(allow_null=True)
    source = serializers.ChoiceField(choices=ForecastSubmission.Source.choices)
    carried_from = serializers.IntegerField(source="carried_from_id", allow_null=True)
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)

    class Meta:
        model = ForecastSubmission
        fields = ["id", "user", "period", "period_start", "period_end", "submitted_on", "recorded_at", "commit", "best_case",
                  "currency", "source", "carried_from", "created_by"]


class SubmissionFilter(filters.ListFilter):
    user = filters.id_field(_("Only the submissions of this rep (their id)."))
    period = serializers.RegexField(r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$", required=False, help_text=_("A month (2026-06) or a quarter (2026-Q2)."))


class OpenPeriodSerializer(serializers.Serializer):
    period = StrictCharField()
    start = serializers.DateField()
    end = serializers.DateField()
    commit = money_field(help_text=_("Pre-filled from the grid's categories, as on the page."))
    best_case = money_field()
    currency = StrictCharField()
    latest = SubmissionSerializer(allow_null=True, help_text=_("Your latest submission for this period."))


class ForecastNumberSerializer(serializers.Serializer):
    period = StrictCharField(max_length=8, help_text=_("An open period's label (see /api/forecasts/open-periods/)."))
    commit = money_field(min_value=0)
    best_case = money_field(min_value=0)


class ForecastSubmitSerializer(serializers.Serializer):
    numbers = ForecastNumberSerializer(many=True, allow_empty=False)

    def validate_numbers(self, value):
        labels = [n["period"] for n in value]
        if len(set(labels)) != len(labels):
            raise serializers.ValidationError(_("Send each period once."), code="invalid")
        return value


class RollupQuerySerializer(serializers.Serializer):
    period = serializers.RegexField(r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$", required=False,
                                    help_text=_("A month (2026-06) or a quarter (2026-Q2); default this quarter."))
    team = filters.id_field(_("One of your teams (its id)."))


class RollupFiguresSerializer(serializers.Serializer):
    commit = money_field()
    adjusted_commit = money_field()
    best_case = money_field()
    adjusted_best_case = money_field()
    won = money_field(help_text=_("Won in the period."))
    open_weighted = money_field()
    open_amount = money_field()
    weighted = money_field(help_text=_("Open weighted plus won."))
    target = money_field(allow_null=True, help_text=_("The won target of the period; null without one."))


class RollupRepSerializer(RollupFiguresSerializer):
    user = serializers.IntegerField()
    user_name = StrictCharField()
    team = serializers.IntegerField(allow_null=True)
    submission = serializers.IntegerField(allow_null=True, help_text=_("The latest submission for the period; null: missing."))
    adjusted = serializers.BooleanField(help_text=_("A manager adjusted the number."))
    is_this_week = serializers.BooleanField(help_text=_("Submitted this forecast week."))


class RollupTotalSerializer(RollupFiguresSerializer):
    team = serializers.IntegerField(allow_null=True, help_text=_("Null: reps without a team, or the grand total."))
    label = StrictCharField(allow_blank=True)
    reps = serializers.IntegerField()
    missing = serializers.IntegerField()
    adjusted = serializers.IntegerField()


class RollupSerializer(serializers.Serializer):
    period = StrictCharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = StrictCharField()
    team = serializers.IntegerField(allow_null=True)
    rows = RollupRepSerializer(many=True)
    teams = RollupTotalSerializer(many=True)
    total = RollupTotalSerializer()

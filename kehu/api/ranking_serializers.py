"""Serializers of the ranking API (kehu/api/ranking.py): evaluation runs, their class table and
results. Money (sales, profit and the money indicators) as decimal strings in CNY, the
company's currency the runs count in; shares as fractions with 4 places."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.api.strings import StrictCharField

from kehu.api import filters

from kehu.api.serializers import money_field
from kehu.core.money import DEFAULT_CURRENCY
from kehu.ranking import selectors
from kehu.ranking.models import EvaluationRun
from kehu.ranking.params import MAX_WINDOW_MONTHS, ordered_params, params_json

ALL_CLASSES = sorted({klass for classes in selectors.CLASS_ORDER.values() for klass in classes})


def _name(user) -> str | None:
    return None if user is None else (user.get_full_name() or user.username)


class RunSerializer(serializers.ModelSerializer):
    model = serializers.ChoiceField(choices=EvaluationRun.Model.choices)
    started_by = serializers.IntegerField(source="started_by_id", allow_null=True, help_text=_("Null: the system (kehu daily)."))
    started_by_name = serializers.SerializerMethodField()
    result_count = serializers.IntegerField(help_text=_("Customers in the run company-wide, prospects included."))

    class Meta:
        model = EvaluationRun
        fields = ["id", "model", "as_of", "window_months", "started_by", "started_by_name", "created_at", "result_count"]

    def get_started_by_name(self, run) -> str | None:
        return _name(run.started_by)


class ClassRowSerializer(serializers.Serializer):
    klass = serializers.ChoiceField(choices=ALL_CLASSES, help_text=_("The class, tier or key-account flag."))
    label = StrictCharField()
    count = serializers.IntegerField()
    count_share = serializers.DecimalField(max_digits=6, decimal_places=4, coerce_to_string=True)
    sales = money_field()
    profit = money_field()
    profit_share = serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=True)


class RunDetailSerializer(RunSerializer):
    currency = serializers.SerializerMethodField()
    params = serializers.SerializerMethodField()
    previous_run = serializers.SerializerMethodField()
    classes = serializers.SerializerMethodField()
    count = serializers.SerializerMethodField(help_text=_("The results you may see."))
    sales = serializers.SerializerMethodField()
    profit = serializers.SerializerMethodField()
    covers = serializers.SerializerMethodField(
        help_text=_("Null when you see every customer; else how many of the run's customers you see."))

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "currency", "params", "previous_run", "count", "sales", "profit", "covers", "classes"]

    def _table(self, run) -> dict:
        return self.context["table"]

    def get_currency(self, run) -> str:
        return DEFAULT_CURRENCY

    @extend_schema_field(serializers.JSONField(help_text=_("Every parameter the run used, defaults included.")))
    def get_params(self, run) -> dict:
        return params_json(ordered_params(run))

    def get_previous_run(self, run) -> int | None:
        previous = selectors.previous_run(run)
        return previous.pk if previous else None

    def get_count(self, run) -> int:
        return self._table(run)["count"]

    @extend_schema_field(money_field())
    def get_sales(self, run) -> str:
        return str(self._table(run)["sales"])

    @extend_schema_field(money_field())
    def get_profit(self, run) -> str:
        return str(self._table(run)["profit"])

    def get_covers(self, run) -> int | None:
        return selectors.scope_note(run, self.context["request"].user, self._table(run)["count"])

    @extend_schema_field(ClassRowSerializer(many=True))
    def get_classes(self, run) -> list:
        return ClassRowSerializer(self._table(run)["rows"], many=True).data


class ResultSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer_id")
    customer_code = StrictCharField(source="customer.code")
    customer_name = StrictCharField(source="customer.name")
    position = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True, help_text=_("Null: an unranked prospect."))
    score = serializers.DecimalField(max_digits=9, decimal_places=4, coerce_to_string=True, allow_null=True)
    klass = serializers.ChoiceField(choices=ALL_CLASSES)
    label = serializers.SerializerMethodField()
    sales = money_field(allow_null=True)
    profit = money_field(allow_null=True)
    indicators = serializers.SerializerMethodField(
        help_text=_("The model's indicators by name, as decimal strings (money in CNY, ratios as fractions); null when not computed."))

    def get_label(self, result) -> str:
        return str(selectors.class_label(self.context["model"], result.klass))

    @extend_schema_field(serializers.DictField(child=StrictCharField(allow_null=True)))
    def get_indicators(self, result) -> dict[str, str | None]:
        values = result.indicators or {}
        out = {}
        for name in selectors.INDICATORS[self.context["model"]]:
            value = selectors.decimal_or_none(values.get(name))
            out[name] = None if value is None else str(value)
        return out


class RunCreateSerializer(serializers.Serializer):
    model = serializers.ChoiceField(choices=EvaluationRun.Model.choices)
    as_of = serializers.DateField(help_text=_("From 2000-01-01 to today."))
    window_months = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_WINDOW_MONTHS,
                                             help_text=_("Empty: the model's setting."))


class RunListFilter(filters.ListFilter):
    model = serializers.ChoiceField(choices=EvaluationRun.Model.values, required=False)


class ResultQuerySerializer(serializers.Serializer):
    """`class`: a class of the run's model (limit and offset are the paginator's)."""

    def __init__(self, *args, model: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = selectors.CLASS_ORDER[model] if model else ALL_CLASSES
        self.fields["class"] = serializers.ChoiceField(choices=choices, required=False,
                                                       help_text=_("Only the results of this class (one of the run's model)."))

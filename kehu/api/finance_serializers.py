"""Serializers of the receivables aging and commission API (kehu/api/finance.py): the figures of
the pages, money as decimal strings beside their currency."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.api.strings import StrictCharField

from kehu.api.serializers import money_field
from kehu.finance.forms import PeriodForm


class AgingQuerySerializer(serializers.Serializer):
    """The aging page's filter (`as_of`) and the page."""

    as_of = serializers.DateField(required=False, help_text=_("The day the days overdue are counted to (default today)."))
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=2**62, default=0)


class BucketsSerializer(serializers.Serializer):
    currency = StrictCharField()
    current = money_field(help_text=_("Not yet due."))
    d0_30 = money_field(help_text=_("0–30 days overdue."))
    d31_60 = money_field(help_text=_("31–60 days overdue."))
    d61_90 = money_field(help_text=_("61–90 days overdue."))
    d90_plus = money_field(help_text=_("More than 90 days overdue."))
    overdue = money_field()
    total = money_field()


class AgingRepSerializer(BucketsSerializer):
    owner = serializers.IntegerField(allow_null=True, help_text=_("The rep (the customers' owner); null: pool customers."))
    owner_name = StrictCharField(allow_null=True)
    customers = serializers.IntegerField()
    at_risk = serializers.IntegerField(help_text=_("Customers at bad-debt risk."))


class AgingRowSerializer(BucketsSerializer):
    customer = serializers.IntegerField()
    customer_code = StrictCharField(allow_null=True)
    customer_name = StrictCharField(allow_null=True)
    owner = serializers.IntegerField(allow_null=True)
    owner_name = StrictCharField(allow_null=True)
    is_at_risk = serializers.BooleanField()


class AgingReportSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    company = BucketsSerializer(many=True, help_text=_("The company's totals per currency."))
    reps = AgingRepSerializer(many=True)
    count = serializers.IntegerField(help_text=_("Rows (customer, currency) in all."))
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AgingRowSerializer(many=True, help_text=_("One page of rows, largest overdue first."))


class CommissionQuerySerializer(serializers.Serializer):
    """The commission page's period: a month, or a from/to range that overrides it (PeriodForm)."""

    month = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$", required=False, help_text=_("A month as YYYY-MM (default this month)."))
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=2**62, default=0)

    def validate(self, attrs):
        """The page's form decides the period; here a value it would drop is refused instead."""
        if ("date_from" in attrs) != ("date_to" in attrs):
            raise serializers.ValidationError(_("Send both date_from and date_to, or neither."), code="invalid")
        if "date_from" in attrs and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError(_("date_from must not be after date_to."), code="invalid")
        form = PeriodForm({k: str(v) for k, v in attrs.items() if k in ("month", "date_from", "date_to")})
        if not form.is_valid():
            raise serializers.ValidationError({name: [str(e) for e in errors] for name, errors in form.errors.items()})
        attrs["period"] = form.period()
        return attrs


class CommissionRepSerializer(serializers.Serializer):
    rep = serializers.IntegerField(allow_null=True, help_text=_("The credited rep; null: no owner."))
    rep_name = StrictCharField(allow_null=True)
    currency = StrictCharField()
    payments = serializers.IntegerField(help_text=_("Commission lines (payment applications)."))
    collected = money_field()
    commission = money_field()


class CommissionTotalSerializer(serializers.Serializer):
    currency = StrictCharField()
    collected = money_field()
    commission = money_field()


class CommissionLineSerializer(serializers.Serializer):
    payment_code = StrictCharField()
    paid_on = serializers.DateField()
    customer = serializers.IntegerField(allow_null=True, help_text=_("Null when you may no longer open the customer."))
    customer_name = StrictCharField()
    rep = serializers.IntegerField(allow_null=True)
    rep_name = StrictCharField(allow_null=True)
    currency = StrictCharField()
    collected = money_field()
    rate_pct = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True)
    commission = money_field()


class CommissionReportSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    reps = CommissionRepSerializer(many=True)
    totals = CommissionTotalSerializer(many=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CommissionLineSerializer(many=True)

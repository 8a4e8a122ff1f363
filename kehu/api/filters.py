"""The query parameters of every list, validated (docs/api.md, "Errors, filters, pagination and sync").

A list view declares `filter_class`, a serializer of its query parameters, and `orderings`, the
whitelist of `ordering` values (public name → model fields). `ValidatedFilterBackend` (the
DEFAULT_FILTER_BACKENDS) validates them before anything is read: a value the list does not
know (`?stage=bogus`, `?owner=abc`, a bad date) answers 400 `validation_error` naming the
parameter, never a list that silently ignored it. Then it keeps what changed since
`updated_since` and orders by `ordering`; the view's `apply_filters(qs, data)` applies the
list's own filters (for customers: the selector the page uses, given the same parameters).
The schema's parameters come from the same declarations. A list whose records have no
`updated_at` sets `sync = False` (no `updated_since`); one without `orderings` has no `ordering`.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.api.strings import StrictCharField
from rest_framework.filters import BaseFilterBackend

from kehu.customers.models import Customer, Tag
from kehu.customers.selectors import SORTS
from kehu.sales.models import OpportunityStage, Quote, SalesOrder

MAX_ID = 2**63 - 1


def record_id(value) -> int:
    """`value` as a record id; not a whole number, or out of 1..2**63−1, gives -1, an id that
    matches nothing (never an overflow in the database)."""
    try:
        number = int(value)
    except (ValueError, TypeError):
        return -1
    return number if 1 <= number <= MAX_ID else -1


def id_field(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text=help_text)


class ListFilter(serializers.Serializer):
    """What every list takes: `updated_since` (incremental sync) and `ordering` (its whitelist)."""

    updated_since = serializers.DateTimeField(
        required=False,
        help_text=_("Only the records changed at or after this time (ISO 8601, e.g. 2026-12-01T08:00:00+08:00); "
                    "with ordering=updated_at, what changed since your last sync."),
    )
    ordering = serializers.ChoiceField(choices=[], required=False)

    def __init__(self, *args, orderings=(), **kwargs):
        super().__init__(*args, **kwargs)
        names = [name for key in orderings for name in (key, f"-{key}")]
        self.fields["ordering"].choices = names
        self.fields["ordering"].help_text = _("The order of the list (a leading - for descending).")


def _parameter(name: str, field: serializers.Field) -> dict:
    schema: dict
    if isinstance(field, serializers.RegexField):
        schema = {"type": "string", "pattern": field.validators[-1].regex.pattern}
    elif isinstance(field, serializers.ChoiceField):
        schema = {"type": "string", "enum": list(field.choices)}
    elif isinstance(field, serializers.IntegerField):
        schema = {"type": "integer", "minimum": field.min_value or 0, "maximum": field.max_value or MAX_ID}
        schema["format"] = "int64"
    elif isinstance(field, serializers.DateTimeField):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(field, serializers.DateField):
        schema = {"type": "string", "format": "date"}
    else:
        schema = {"type": "string"}
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if field.help_text:
        parameter["description"] = str(field.help_text)
    return parameter


class ValidatedFilterBackend(BaseFilterBackend):
    """Validates and applies the list's query parameters (see the module's docstring)."""

    def _serializer(self, view, data=None):
        filter_class = getattr(view, "filter_class", None) or ListFilter
        serializer = filter_class(data=data, orderings=getattr(view, "orderings", {}), context={"view": view})
        if not getattr(view, "orderings", None):
            del serializer.fields["ordering"]
        if not getattr(view, "sync", True):  # a list of records without updated_at
            del serializer.fields["updated_since"]
        return serializer

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        params = request.query_params
        fields = self._serializer(view).fields
        twice = {name: [_("Send this parameter once.")] for name in fields if len(params.getlist(name)) > 1}
        if twice:
            raise serializers.ValidationError(twice)
        serializer = self._serializer(view, data={k: v for k, v in params.items() if k in fields})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        apply = getattr(view, "apply_filters", None)
        if apply is not None:
            queryset = apply(queryset, data)
        if data.get("updated_since") is not None:
            queryset = queryset.filter(updated_at__gte=data["updated_since"])
        if data.get("ordering"):
            name = data["ordering"].removeprefix("-")
            sign = "-" if data["ordering"].startswith("-") else ""
            queryset = queryset.order_by(*[f"{sign}{f}" for f in view.orderings[name]], f"{sign}id")
        return queryset

    def get_schema_operation_parameters(self, view):
        if getattr(view, "action", None) != "list":
            return []
        serializer = self._serializer(view)
        return [_parameter(name, field) for name, field in serializer.fields.items()]


# --- each list's own parameters --------------------------------------------------------------------

def _choice(values, help_text=None) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=list(values), required=False, help_text=help_text)


class CustomerFilter(ListFilter):
    """The customer list's parameters: those of the page (kehu.customers.selectors.customer_list)."""

    q = StrictCharField(required=False, allow_blank=True, max_length=100, help_text=_("Name, code, phone, contact name or pinyin initials."))
    owner = serializers.RegexField(r"^(me|pool|[1-9][0-9]{0,17})$", required=False, allow_blank=True,
                                   help_text=_('A user id, "me" or "pool".'))
    stage = _choice(Customer.Stage.values)
    lead_source = _choice(Customer.LeadSource.values)
    kind = _choice(Customer.Kind.values)
    province = StrictCharField(required=False, allow_blank=True, max_length=50)
    industry = StrictCharField(required=False, allow_blank=True, max_length=50)
    tag = StrictCharField(required=False, max_length=50, help_text=_("A tag name."))
    key = _choice(["1", "0"], help_text=_("1: key accounts only; 0: the others."))
    pyramid_tier = _choice([*Customer.PyramidTier.values, "none"], help_text=_("none: not ranked."))
    value_class = _choice([*Customer.ValueClass.values, "none"], help_text=_("none: not ranked."))
    sort = _choice(SORTS, help_text=_("The page's sort keys (ordering is the API's own)."))

    def validate_tag(self, value):
        if not Tag.objects.filter(name=value).exists():
            raise serializers.ValidationError(_("There is no tag of this name."), code="invalid_choice")
        return value


class CustomerRecordFilter(ListFilter):
    customer = id_field(_("Only the records of this customer (its id)."))


class OpportunityFilter(CustomerRecordFilter):
    stage = StrictCharField(required=False, allow_blank=True, max_length=32, help_text=_("A stage code."))
    open = _choice(["1", "0"], help_text=_("1: open ones only; 0: closed ones only."))

    def validate_stage(self, value):
        if value and not OpportunityStage.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("There is no stage of this code."), code="invalid_choice")
        return value


class QuoteFilter(CustomerRecordFilter):
    status = _choice(Quote.Status.values)


class OrderFilter(CustomerRecordFilter):
    status = _choice(SalesOrder.Status.values)


class ReceivableFilter(CustomerRecordFilter):
    open = _choice(["1"], help_text=_("1: only those with an open amount."))


class PaymentFilter(CustomerRecordFilter):
    contract = id_field(_("Only the payments of this contract (its id)."))

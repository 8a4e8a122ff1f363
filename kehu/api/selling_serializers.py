"""Serializers of selling and collections: opportunities, quotes, contracts (with their
instalments), orders (with their lines), receivables and payments.

They read and validate; they never write: the views hand `validated_data` to
kehu.sales.services and kehu.finance.services. Every amount is an exact decimal string
("12345.60") next to its currency, never a float. Related records a user names in a write
(customer, contract, receivable) are looked up through the visibility scope, so a hidden one
is "does not exist", exactly like a missing one.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.api.strings import StrictCharField

from kehu.api.serializers import OwnerSerializer, VisibleCustomerField, money_field
from kehu.core.fields import MAX_DIGITS
from kehu.core.dates import validate_date_in_range
from kehu.core.money import CURRENCIES, quantize_cents
from kehu.finance.models import Instalment, Payment, PaymentAllocation, Receivable
from kehu.sales.models import Contract, Opportunity, OpportunityStage, OrderLine, Product, Quote, QuoteLine, SalesOrder


def decimal_field(places: int, **kwargs) -> serializers.DecimalField:
    """A unit price, quantity or percentage as an exact decimal string."""
    return serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=places, coerce_to_string=True, **kwargs)


def _cents(value: Decimal) -> str:
    return str(quantize_cents(value))


def _user(field):
    return field.context["request"].user


@extend_schema_field(OpenApiTypes.INT)
class VisibleContractField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Contract.objects.visible_to(_user(self))


@extend_schema_field(OpenApiTypes.INT)
class VisibleReceivableField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Receivable.objects.visible_to(_user(self))


class StageField(serializers.SlugRelatedField):
    """An opportunity stage by its code (e.g. "proposal")."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=OpportunityStage.objects.all(), **kwargs)


class CustomerRefMixin(serializers.Serializer):
    customer_code = StrictCharField(source="customer.code", read_only=True)
    customer_name = StrictCharField(source="customer.name", read_only=True)


class ProductRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name"]
        read_only_fields = fields


# --- opportunities ----------------------------------------------------------------------------

class OpportunitySerializer(CustomerRefMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    owner = OwnerSerializer(read_only=True)
    stage = serializers.SlugRelatedField(slug_field="code", read_only=True)
    stage_name = StrictCharField(source="stage.__str__", read_only=True)
    is_closed = serializers.BooleanField(source="stage.is_closed", read_only=True)
    is_won = serializers.BooleanField(source="stage.is_won", read_only=True)
    amount = money_field(required=False, min_value=0)
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False)
    probability = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100,
                                           help_text=_("Empty: the stage's default."))

    class Meta:
        model = Opportunity
        read_only = ["id", "code", "customer", "customer_code", "customer_name", "owner", "stage", "stage_name",
                     "is_closed", "is_won", "closed_on", "created_at", "updated_at"]
        editable = ["title", "amount", "currency", "probability", "expected_close_on", "forecast_category",
                    "buying_factor", "buying_factor_second", "competitors", "product_lines", "lost_reason"]
        fields = read_only + editable
        read_only_fields = read_only


class OpportunityCreateSerializer(OpportunitySerializer):
    customer = VisibleCustomerField()
    stage = StageField(required=False, allow_null=True, help_text=_("A stage code; empty: the first open stage."))
    amount = money_field(min_value=0)
    currency = StrictCharField(read_only=True)

    class Meta(OpportunitySerializer.Meta):
        read_only_fields = [f for f in OpportunitySerializer.Meta.read_only if f not in ("customer", "stage")]


CREATE_ARGUMENTS = ("customer", "title", "amount", "stage", "probability", "expected_close_on", "forecast_category",
                    "buying_factor", "buying_factor_second", "competitors", "product_lines", "lost_reason")


def opportunity_create_arguments(validated_data: dict) -> dict:
    return {k: v for k, v in validated_data.items() if k in CREATE_ARGUMENTS and v is not None}


class OpportunityMoveSerializer(serializers.Serializer):
    stage = StageField(help_text=_("The code of the stage to move to."))
    lost_reason = StrictCharField(required=False, allow_blank=True, default="")
    probability = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100, default=None)


# --- quotes ------------------------------------------------------------------------------------

class QuoteLineSerializer(serializers.ModelSerializer):
    product = ProductRefSerializer(read_only=True)
    quantity = decimal_field(4)
    unit_price = decimal_field(4)
    discount_pct = decimal_field(2)
    revenue = money_field()

    class Meta:
        model = QuoteLine
        fields = ["id", "product", "quantity", "unit_price", "discount_pct", "revenue"]
        read_only_fields = fields


class QuoteSerializer(CustomerRefMixin, serializers.ModelSerializer):
    """A quote with its lines (one serializer for list and detail: one schema component per status enum)."""

    owner = OwnerSerializer(read_only=True)
    lines = QuoteLineSerializer(many=True, read_only=True)
    decided_by = OwnerSerializer(read_only=True, allow_null=True)
    total = money_field()
    max_discount_pct = decimal_field(2)
    allowed_discount_pct = decimal_field(2)

    class Meta:
        model = Quote
        fields = ["id", "code", "customer", "customer_code", "customer_name", "opportunity", "owner", "status", "currency",
                  "valid_until", "total", "max_discount_pct", "allowed_discount_pct", "notes", "submitted_at",
                  "approval_comment", "decided_by", "decided_at", "created_at", "updated_at", "lines"]
        read_only_fields = fields


# --- contracts ---------------------------------------------------------------------------------

class InstalmentSerializer(serializers.ModelSerializer):
    amount = money_field()
    applied = money_field(help_text=_("Received so far."))
    open_amount = serializers.SerializerMethodField(help_text=_("Still to receive (a decimal string)."))

    class Meta:
        model = Instalment
        fields = ["seq", "due_on", "amount", "applied", "open_amount", "paid_in_full_on"]
        read_only_fields = fields

    def get_open_amount(self, instalment) -> str:
        return _cents(instalment.amount - instalment.applied)


class ContractSerializer(CustomerRefMixin, serializers.ModelSerializer):
    """A contract with its payment plan (list and detail alike)."""

    owner = OwnerSerializer(read_only=True, allow_null=True)
    amount = money_field()
    instalments = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "code", "customer", "customer_code", "customer_name", "opportunity", "quote", "owner",
                  "signed_on", "amount", "currency", "payment_term_days", "instalments", "created_at", "updated_at"]
        read_only_fields = fields


# --- orders ------------------------------------------------------------------------------------

class OrderLineSerializer(serializers.ModelSerializer):
    product = ProductRefSerializer(read_only=True)
    quantity = decimal_field(4)
    unit_price = decimal_field(4)
    discount_pct = decimal_field(2)
    unit_cost = decimal_field(4)
    revenue = money_field()
    cost = money_field()

    class Meta:
        model = OrderLine
        fields = ["id", "product", "quantity", "unit_price", "discount_pct", "unit_cost", "revenue", "cost"]
        read_only_fields = fields


class OrderSerializer(CustomerRefMixin, serializers.ModelSerializer):
    """A sales order with its lines and their sums (one serializer for list and detail)."""

    owner = OwnerSerializer(read_only=True, allow_null=True)
    contract_code = StrictCharField(source="contract.code", read_only=True, default=None, allow_null=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    revenue = serializers.SerializerMethodField(help_text=_("The sum of the lines' revenue (a decimal string)."))
    cost = serializers.SerializerMethodField(help_text=_("The sum of the lines' cost (a decimal string)."))

    class Meta:
        model = SalesOrder
        fields = ["id", "code", "customer", "customer_code", "customer_name", "owner", "contract", "contract_code",
                  "order_date", "currency", "status", "shipped_on", "revenue", "cost", "lines", "created_at", "updated_at"]
        read_only_fields = fields

    def get_revenue(self, order) -> str:
        return _cents(sum((line.revenue for line in order.lines.all()), Decimal("0.00")))

    def get_cost(self, order) -> str:
        return _cents(sum((line.cost for line in order.lines.all()), Decimal("0.00")))


# --- receivables and payments ------------------------------------------------------------------

class ReceivableSerializer(CustomerRefMixin, serializers.ModelSerializer):
    amount = money_field()
    open_amount = money_field()
    written_off = money_field()
    order_code = StrictCharField(source="order.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Receivable
        fields = ["id", "customer", "customer_code", "customer_name", "order", "order_code", "amount", "open_amount",
                  "written_off", "currency", "issued_on", "due_on", "created_at", "updated_at"]
        read_only_fields = fields


class AllocationSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="instalment.contract_id", read_only=True, default=None, allow_null=True)
    contract_code = StrictCharField(source="instalment.contract.code", read_only=True, default=None, allow_null=True)
    seq = serializers.IntegerField(source="instalment.seq", read_only=True, default=None, allow_null=True)
    amount = money_field()

    class Meta:
        model = PaymentAllocation
        fields = ["contract", "contract_code", "seq", "receivable", "amount"]
        read_only_fields = fields


class PaymentSerializer(CustomerRefMixin, serializers.ModelSerializer):
    amount = money_field()
    on_account = money_field(help_text=_("The part not applied to any instalment or receivable."))
    contract_code = StrictCharField(source="contract.code", read_only=True, default=None, allow_null=True)
    recorded_by = OwnerSerializer(read_only=True, allow_null=True)
    allocations = AllocationSerializer(many=True, read_only=True)
    is_reversed = serializers.BooleanField(read_only=True, help_text=_("Reversed (红冲): on record, but applied to nothing and counted in no sum."))
    reversed_by = OwnerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Payment
        fields = ["id", "code", "customer", "customer_code", "customer_name", "contract", "contract_code", "seq",
                  "receivable", "paid_on", "amount", "currency", "on_account", "recorded_by", "allocations", "created_at",
                  "is_reversed", "reversed_at", "reversed_by", "reversal_reason"]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    """What finance enters: the customer, the amount and date, and optionally what it pays."""

    customer = VisibleCustomerField()
    amount = money_field(min_value=0, help_text=_("A positive amount, at most 2 decimals."))
    paid_on = serializers.DateField(validators=[validate_date_in_range])
    contract = VisibleContractField(required=False, allow_null=True, default=None)
    seq = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None,
                                   help_text=_("The instalment of the contract it pays; empty: the oldest open ones."))
    receivable = VisibleReceivableField(required=False, allow_null=True, default=None)
    code = StrictCharField(required=False, allow_blank=True, max_length=32, default="",
                                 help_text=_("The bank's reference; empty: one is made up."))
    allow_overpayment = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Record it even when it is more than is open on the instalment, contract or receivable it names "
                    "(the rest stays on account); without it such a payment gets 400 naming the open amount."))


class PaymentReverseSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, help_text=_("Why the payment is reversed (红冲)."))


def payment_arguments(validated_data: dict) -> dict:
    args = {k: validated_data[k] for k in ("customer", "amount", "paid_on", "contract", "seq", "allow_overpayment")}
    args["code"] = validated_data.get("code") or None
    if validated_data.get("receivable") is not None:
        args["receivable"] = validated_data["receivable"]
    return args


# --- writes of quotes, contracts and orders (issue 14, apisell) ---------------------------------
# What the quote, contract and order pages take, as JSON. They parse; the services
# (kehu.sales.services.quotes, kehu.finance.services.contracts / orders) apply every rule.

@extend_schema_field(OpenApiTypes.INT)
class VisibleOpportunityField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Opportunity.objects.visible_to(_user(self)).select_related("stage")


@extend_schema_field(OpenApiTypes.INT)
class VisibleQuoteField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Quote.objects.visible_to(_user(self)).select_related("opportunity__stage")


@extend_schema_field(OpenApiTypes.INT)
class ProductField(serializers.PrimaryKeyRelatedField):
    """A product of the catalogue by its id (one no longer sold is refused by the line check)."""

    def get_queryset(self):
        return Product.objects.all()


class QuoteLineWriteSerializer(serializers.Serializer):
    """A line as the quote page takes it (kehu.sales.lines checks it)."""

    product = ProductField(help_text=_("A product id (GET /api/products/)."))
    quantity = decimal_field(4, help_text=_("More than 0, at most 4 decimals."))
    unit_price = decimal_field(4, required=False, allow_null=True, default=None, help_text=_("Empty: the list price."))
    discount_pct = decimal_field(2, required=False, allow_null=True, default=None, help_text=_("From 0 to 100; empty: 0."))


class OrderLineWriteSerializer(QuoteLineWriteSerializer):
    unit_cost = decimal_field(4, required=False, allow_null=True, default=None, help_text=_("Empty: the product's unit cost."))


LINES_MAX = 100  # as the pages' line formsets


def payment_term_field(help_text) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=3650, help_text=help_text)


class QuoteCreateSerializer(serializers.Serializer):
    customer = VisibleCustomerField(help_text=_("The customer (one whose sales data you may edit)."))
    opportunity = VisibleOpportunityField(required=False, allow_null=True, default=None,
                                          help_text=_("An open or won opportunity of the customer; empty: none."))
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False, default="CNY")
    valid_until = serializers.DateField(required=False, allow_null=True, default=None, validators=[validate_date_in_range])
    payment_term_days = payment_term_field(_("Empty: the customer's policy. A longer term than the policy's needs approval."))
    notes = StrictCharField(required=False, allow_blank=True, max_length=4000, default="")
    lines = QuoteLineWriteSerializer(many=True, allow_empty=False, max_length=LINES_MAX)


class QuoteUpdateSerializer(serializers.Serializer):
    """A draft or rejected quote's fields; what is left out stays as it is (lines: all or none)."""

    opportunity = VisibleOpportunityField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True, validators=[validate_date_in_range])
    payment_term_days = payment_term_field(_("Empty (null): the customer's policy; left out: unchanged."))
    notes = StrictCharField(required=False, allow_blank=True, max_length=4000)
    lines = QuoteLineWriteSerializer(many=True, required=False, allow_empty=False, max_length=LINES_MAX,
                                     help_text=_("The new lines, replacing the old ones; left out: unchanged."))


class QuoteApproveSerializer(serializers.Serializer):
    comment = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")


class QuoteRejectSerializer(serializers.Serializer):
    comment = StrictCharField(max_length=2000, help_text=_("Why the quote is rejected."))


class InstalmentWriteSerializer(serializers.Serializer):
    due_on = serializers.DateField(validators=[validate_date_in_range])
    amount = money_field(min_value=Decimal("0.01"))


class PlanSerializer(serializers.Serializer):
    instalments = InstalmentWriteSerializer(
        many=True, allow_empty=False, max_length=60,
        help_text=_("The payment plan, numbered 1, 2, … by due date as the page does; it must add up to the contract amount."))


class ContractCreateSerializer(PlanSerializer):
    customer = VisibleCustomerField(help_text=_("The customer (one whose sales data you may edit)."))
    quote = VisibleQuoteField(required=False, allow_null=True, default=None,
                              help_text=_("An approved, sent or accepted quote of the customer."))
    opportunity = VisibleOpportunityField(required=False, allow_null=True, default=None,
                                          help_text=_("A won opportunity of the customer (when there is no quote)."))
    signed_on = serializers.DateField(validators=[validate_date_in_range])
    amount = money_field(required=False, allow_null=True, default=None, min_value=Decimal("0.01"),
                         help_text=_("Empty: the quote's total or the opportunity's amount."))
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False, allow_null=True, default=None,
                                       help_text=_("Empty: the quote's or opportunity's."))
    payment_term_days = payment_term_field(_("Empty: the quote's agreed term, else the customer's policy."))


def plan_rows(validated_data: dict) -> list[tuple]:
    """The instalments as the page's plan form gives them: sorted by due date, numbered 1, 2, …"""
    rows = sorted(validated_data["instalments"], key=lambda r: r["due_on"])
    return [(n, r["due_on"], r["amount"]) for n, r in enumerate(rows, start=1)]


def contract_create_arguments(validated_data: dict) -> dict:
    return {"customer": validated_data["customer"], "quote": validated_data["quote"], "opportunity": validated_data["opportunity"],
            "signed_on": validated_data["signed_on"], "amount": validated_data["amount"], "currency": validated_data["currency"],
            "payment_term_days": validated_data.get("payment_term_days"), "instalments": plan_rows(validated_data)}


class OrderCreateSerializer(serializers.Serializer):
    customer = VisibleCustomerField(help_text=_("The customer (one whose sales data you may edit)."))
    contract = VisibleContractField(required=False, allow_null=True, default=None,
                                    help_text=_("A contract of the customer; empty: an order without contract."))
    order_date = serializers.DateField(validators=[validate_date_in_range])
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False, default="CNY")
    lines = OrderLineWriteSerializer(many=True, allow_empty=False, max_length=LINES_MAX)


class OrderShipSerializer(serializers.Serializer):
    shipped_on = serializers.DateField(validators=[validate_date_in_range])


class OrderReleaseSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, help_text=_("Why the order is released."))


def line_dicts(lines) -> list[dict]:
    return [dict(line) for line in lines]


class CreditReasonSerializer(serializers.Serializer):
    code = StrictCharField(help_text=_("Machine-readable: credit_limit or overdue."))
    message = StrictCharField(help_text=_("Translated (zh or en, the user's language)."))


class OrderResultSerializer(OrderSerializer):
    """An order after a write; a held one (status blocked) with the reasons credit control gave."""

    credit_reasons = serializers.SerializerMethodField(
        help_text=_("Why credit control holds the order (status blocked); empty otherwise."))

    class Meta(OrderSerializer.Meta):
        fields = OrderSerializer.Meta.fields + ["credit_reasons"]
        read_only_fields = fields

    @extend_schema_field(CreditReasonSerializer(many=True))
    def get_credit_reasons(self, order) -> list:
        from kehu.finance.models import CreditEvent
        from kehu.finance.services import reason_text

        if order.status != SalesOrder.Status.BLOCKED:
            return []
        event = CreditEvent.objects.filter(order_id=order.pk, kind=CreditEvent.Kind.BLOCK).order_by("-at", "-id").first()
        reasons = (event.details or {}).get("reasons", []) if event else []
        return [{"code": r.get("code", ""), "message": reason_text(r.get("code", ""), r)} for r in reasons]

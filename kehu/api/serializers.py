"""Serializers read and validate; they never write. The views hand `validated_data` to the
same services the pages call (kehu.customers.services).

Only the fields a user may set are writable: CUSTOMER_EDITABLE (+ tags and the credit
fields, which the service checks) and CONTACT_EDITABLE. Owner, code, stage and the audit
fields are read-only, so a crafted payload carrying them is ignored.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.accounts.models import User
from kehu.core.fields import MAX_DIGITS, MoneyField, validate_money_bound
from kehu.core.money import CURRENCIES
from kehu.customers.models import CompanyProfile, Contact, Customer, PersonProfile, Tag
from kehu.customers.selectors import mask
from kehu.customers.services.records import CONTACT_EDITABLE, CREDIT_FIELDS, CUSTOMER_EDITABLE

SENSITIVE_FIELDS = ("bank_account", "id_number")


def _user(serializer_field) -> User:
    return serializer_field.context["request"].user


def money_field(**kwargs) -> serializers.DecimalField:
    """An amount as an exact decimal string ("12345.60"), never a float; at most MONEY_MAX
    (`validate_money_bound`, the check every money input uses)."""
    kwargs.setdefault("validators", [validate_money_bound])
    return serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=2, coerce_to_string=True, **kwargs)


class MaskedCharField(serializers.CharField):
    """A sensitive value (bank account, ID number), masked for users without the right to see it."""

    def to_representation(self, value):
        return mask(super().to_representation(value), user=_user(self))


@extend_schema_field(OpenApiTypes.INT)
class VisibleCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer id, accepted and shown only when the requesting user may see that customer."""

    def get_queryset(self):
        return Customer.objects.visible_to(_user(self))

    def to_representation(self, value):
        return value.pk if self.get_queryset().filter(pk=value.pk).exists() else None


@extend_schema_field(OpenApiTypes.INT)
class VisibleContactField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Contact.objects.visible_to(_user(self))

    def to_representation(self, value):
        return value.pk if self.get_queryset().filter(pk=value.pk).exists() else None


class OwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class SensitiveValuesMixin:
    """A masked value sent back unchanged (read, edit, save) must not overwrite the real one."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = getattr(self, "instance", None)
        if instance is None:
            return attrs
        user = self.context["request"].user
        for name in SENSITIVE_FIELDS:
            if name in attrs:
                current = getattr(instance, name, "") or ""
                if attrs[name] != current and attrs[name] == mask(current, user=user):
                    del attrs[name]
        return attrs


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A read-only choice stored as "" when unset (the ranking's pyramid tier and value class
    before any run): null in the answer, so the value is always one of the enum or null."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class CustomerListSerializer(SensitiveValuesMixin, serializers.ModelSerializer):
    """One row of the customer list: only what `selectors.customer_list` fetches (owner, tags)."""

    owner = OwnerSerializer(read_only=True, allow_null=True, help_text=_("Null while the customer is in the public pool."))
    pyramid_tier = BlankAsNullChoiceField(choices=Customer.PyramidTier.choices, help_text=_("Null until a ranking run ranks it."))
    value_class = BlankAsNullChoiceField(choices=Customer.ValueClass.choices, help_text=_("Null until a ranking run ranks it."))
    tags = serializers.SlugRelatedField(
        many=True, slug_field="name", queryset=Tag.objects.all(), required=False,
        help_text=_("Names of existing tags."),
    )
    credit_limit = money_field(required=False, allow_null=True, min_value=0)
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False)
    bank_account = MaskedCharField(required=False, allow_blank=True, max_length=64)
    in_pool = serializers.BooleanField(read_only=True)

    class Meta:
        model = Customer
        read_only = [
            "id", "code", "owner", "stage", "stage_changed_at", "in_pool", "is_key_account",
            "pyramid_tier", "value_class", "owned_since", "last_followup_at", "returned_to_pool_at", "created_at", "updated_at",
        ]
        editable = [f for f in CUSTOMER_EDITABLE if f not in ("referrer_customer", "referrer_contact")]
        fields = read_only + editable + ["tags"] + CREDIT_FIELDS
        read_only_fields = read_only


@extend_schema_field(OpenApiTypes.OBJECT)
class ProfileField(serializers.Field):
    """The company or person profile sections of a customer, read-only, sensitive values masked."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, customer):
        model, related = (
            (CompanyProfile, "company_profile") if customer.kind == Customer.Kind.COMPANY else (PersonProfile, "person_profile")
        )
        profile = getattr(customer, related, None) if hasattr(customer, related) else None
        if profile is None:
            return None
        user = _user(self)
        result = {}
        for _label, names in model.SECTIONS:
            for name in names:
                field = model._meta.get_field(name)
                value = getattr(profile, name)
                if value is None or value == "":
                    result[name] = value
                elif isinstance(field, MoneyField):
                    result[name] = str(value)
                elif name in SENSITIVE_FIELDS:
                    result[name] = mask(value, user=user)
                elif hasattr(value, "isoformat"):
                    result[name] = value.isoformat()
                else:
                    result[name] = value
        return result


class CustomerSerializer(CustomerListSerializer):
    """One customer: the list fields, its referrer and its profile sections."""

    referrer_customer = VisibleCustomerField(required=False, allow_null=True)
    referrer_contact = VisibleContactField(required=False, allow_null=True)
    profile = ProfileField()

    class Meta(CustomerListSerializer.Meta):
        fields = CustomerListSerializer.Meta.fields + ["referrer_customer", "referrer_contact", "profile"]


class CustomerCreateSerializer(CustomerSerializer):
    allow_possible_duplicate = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text=_("Create even though a customer with the same name or phone exists (a same USCC always blocks)."),
    )

    class Meta(CustomerSerializer.Meta):
        fields = CustomerSerializer.Meta.fields + ["allow_possible_duplicate"]


def customer_write_arguments(validated_data: dict) -> dict:
    """Split validated input into the keyword arguments of customer_create / customer_update.

    Only fields the client actually sent appear: a field left out is left alone, and a
    finance user who sends only credit fields is not taken for editing sales data.
    """
    data = {k: v for k, v in validated_data.items() if k in CUSTOMER_EDITABLE}
    credit = {k: v for k, v in validated_data.items() if k in CREDIT_FIELDS}
    return {
        "data": data,
        "credit": credit or None,
        "tags": validated_data["tags"] if "tags" in validated_data else None,
    }


class ContactSerializer(SensitiveValuesMixin, serializers.ModelSerializer):
    id_number = MaskedCharField(required=False, allow_blank=True, max_length=32)

    class Meta:
        model = Contact
        read_only = ["id", "customer", "created_at", "updated_at"]
        fields = read_only + CONTACT_EDITABLE
        read_only_fields = read_only


def contact_write_data(validated_data: dict) -> dict:
    return {k: v for k, v in validated_data.items() if k in CONTACT_EDITABLE}

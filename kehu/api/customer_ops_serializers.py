"""Serializers of the customer operations: release to the pool, handover, merge, the
qualification checklist and the key-account archive (issue 14, engineer apiact).

They read and validate; they never write: the views call kehu.customers' services, the
functions the pages call. Customers named in a request are looked up through the visibility
scope (a hidden one is "does not exist", like a missing one).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.api.strings import StrictCharField

from kehu.api.serializers import BlankAsNullChoiceField, OwnerSerializer, VisibleCustomerField, money_field
from kehu.core.money import CURRENCIES
from kehu.customers.models import ArchiveSection, CategorySpend, Contact, Handover, QualificationItem


class ReleaseSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=255, help_text=_("Why the customer goes back to the pool (the next owner and your manager read it)."))


def confirm_field(help_text) -> serializers.BooleanField:
    return serializers.BooleanField(help_text=help_text)


class ConfirmMixin:
    """`confirm` must be true: the page's confirmation step, made explicit."""

    def validate_confirm(self, value):
        if value is not True:
            raise serializers.ValidationError(_("Send confirm: true to do this; it cannot be undone."), code="confirm_required")
        return value


class HandoverCreateSerializer(ConfirmMixin, serializers.Serializer):
    from_user = serializers.IntegerField(min_value=1, help_text=_("Who hands over (a user id, as the handover page offers)."))
    to_user = serializers.IntegerField(min_value=1, help_text=_("Who takes over: an active rep or manager (a user id)."))
    customer_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_null=True, default=None, max_length=10000,
        help_text=_("The customers to hand over; left out or null: all of from_user's customers."),
    )
    note = StrictCharField(required=False, allow_blank=True, max_length=500, default="")
    confirm = confirm_field(_("Must be true: the handover is written at once."))


class HandoverSerializer(serializers.ModelSerializer):
    actor = OwnerSerializer(read_only=True)
    from_user = OwnerSerializer(read_only=True)
    to_user = OwnerSerializer(read_only=True)
    customers = serializers.SerializerMethodField(help_text=_("The ids of the customers handed over."))
    related_counts = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                           help_text=_("Other records that moved with them: a label and a count."))

    class Meta:
        model = Handover
        fields = ["id", "at", "actor", "from_user", "to_user", "customer_count", "customers", "related_counts", "note"]
        read_only_fields = fields

    def get_customers(self, handover) -> list[int]:
        return sorted(handover.customers.values_list("pk", flat=True))


class MergeSerializer(ConfirmMixin, serializers.Serializer):
    other = VisibleCustomerField(help_text=_("The other record of the same customer (one you may see)."))
    keep = serializers.ChoiceField(choices=["this", "other"], default="this",
                                   help_text=_("this: the other record is merged into this one; other: this one into the other."))
    confirm = confirm_field(_("Must be true: a merge cannot be undone."))


class MergeResultSerializer(serializers.Serializer):
    kept = serializers.IntegerField(help_text=_("The id of the record kept."))
    merged = serializers.IntegerField(help_text=_("The id of the record merged (now in the recycle bin)."))
    moved_counts = serializers.DictField(child=serializers.IntegerField(), help_text=_("What moved: a label and a count."))


# --- qualification -----------------------------------------------------------------------------

class QualificationRowSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    name = StrictCharField(source="item.__str__", help_text=_("In your language."))
    help_text = StrictCharField(source="item.help_text")
    checked = serializers.BooleanField()
    note = StrictCharField(allow_blank=True)
    checked_by = OwnerSerializer(allow_null=True)
    checked_at = serializers.DateTimeField(allow_null=True)


class QualificationSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    stage = StrictCharField(help_text=_("The customer's stage."))
    shown = serializers.BooleanField(help_text=_("The checklist is for target, prospect and qualified customers."))
    can_check = serializers.BooleanField(help_text=_("Whether you may tick items."))
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    qualified = serializers.BooleanField(help_text=_("This request moved the customer from prospect to qualified."))
    items = QualificationRowSerializer(many=True)


class QualificationTickSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=QualificationItem.objects.filter(is_active=True),
                                              help_text=_("An active checklist item (its id)."))
    checked = serializers.BooleanField(help_text=_("true: tick it (or change its note); false: untick it."))
    note = StrictCharField(required=False, allow_blank=True, max_length=255, default="")


# --- the key-account archive --------------------------------------------------------------------

class ArchiveSectionSerializer(serializers.Serializer):
    section = serializers.ChoiceField(choices=ArchiveSection.Section.choices, source="key")
    label = StrictCharField(help_text=_("In your language."))
    text = StrictCharField(allow_blank=True)
    share_pct = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True, coerce_to_string=True,
                                         help_text=_("Market share section only: percent, one decimal."))
    updated_by = OwnerSerializer(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, view):
        row = view.row
        return super().to_representation({
            "key": view.key, "label": view.label, "text": row.text if row else "", "share_pct": row.share_pct if row else None,
            "updated_by": row.updated_by if row else None, "updated_at": row.updated_at if row else None,
        })


class ArchiveSectionWriteSerializer(serializers.Serializer):
    text = StrictCharField(allow_blank=True, max_length=10000)
    share_pct = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True, default=None,
                                         help_text=_("Market share section only: 0 to 100."))


class DecisionMakerSerializer(serializers.ModelSerializer):
    decision_role = BlankAsNullChoiceField(choices=Contact.DecisionRole.choices)
    principal_role = BlankAsNullChoiceField(choices=Contact.PrincipalRole.choices)

    class Meta:
        model = Contact
        fields = ["id", "name", "title", "decision_role", "principal_role"]
        read_only_fields = fields


class SpendRowSerializer(serializers.ModelSerializer):
    annual_spend = money_field(read_only=True)
    growth_pct = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True, coerce_to_string=True, read_only=True,
                                          help_text=_("The growth the customer states, in percent."))
    growth = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True, coerce_to_string=True, read_only=True,
                                      help_text=_("The growth the archive shows: computed from the previous year's row, else stated."))
    growth_source = serializers.ChoiceField(choices=["computed", "stated"], allow_null=True, read_only=True)
    currency = serializers.ChoiceField(choices=CURRENCIES, read_only=True)
    updated_by = OwnerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CategorySpend
        fields = ["id", "category", "year", "annual_spend", "currency", "growth_pct", "growth", "growth_source", "note",
                  "updated_by", "updated_at"]
        read_only_fields = fields

    def to_representation(self, row):
        data = super().to_representation(row.spend)
        data["growth"] = None if row.growth is None else str(row.growth)
        data["growth_source"] = row.growth_source or None
        return data


class SpendWriteSerializer(serializers.Serializer):
    """A spend row as the archive's spend form takes it (the service cleans and checks it)."""

    category = StrictCharField(max_length=100)
    year = serializers.IntegerField(min_value=1, max_value=9999, help_text=_("From 1990 to next year."))
    annual_spend = money_field(min_value=0)
    currency = serializers.ChoiceField(choices=CURRENCIES, default="CNY")
    growth_pct = serializers.DecimalField(max_digits=6, decimal_places=1, required=False, allow_null=True, default=None,
                                          coerce_to_string=True, help_text=_("The growth the customer states, in percent."))
    note = StrictCharField(required=False, allow_blank=True, max_length=200, default="")


class ArchiveSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk")
    can_edit = serializers.BooleanField(help_text=_("Whether you may change the archive."))
    sections = ArchiveSectionSerializer(many=True)
    decision_makers = DecisionMakerSerializer(many=True)
    spend = SpendRowSerializer(many=True, help_text=_("Spend per product category and year, newest year first."))

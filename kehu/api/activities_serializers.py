"""Serializers of follow-ups (logged activities and planned follow-ups) and notifications.

They read and validate; they never write: the views hand `validated_data` to
kehu.activities.services and kehu.activities.notifications, the functions the pages call.
The customer, contact and opportunity a client names are looked up through the visibility
scope, so a hidden one is "does not exist", exactly like a missing one; whether they belong
together (a contact of that customer) is the service's rule.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.api.strings import StrictCharField

from kehu.activities.models import Activity, Notification
from kehu.api import filters
from kehu.api.serializers import OwnerSerializer, VisibleCustomerField
from kehu.core.dates import validate_date_in_range
from kehu.customers.models import Contact
from kehu.sales.models import Opportunity


def _user(field):
    return field.context["request"].user


@extend_schema_field(OpenApiTypes.INT)
class VisibleContactRefField(serializers.PrimaryKeyRelatedField):
    """A contact id among those the user sees (the service checks it is the customer's)."""

    def get_queryset(self):
        return Contact.objects.visible_to(_user(self)).filter(is_deleted=False)


@extend_schema_field(OpenApiTypes.INT)
class VisibleOpportunityField(serializers.PrimaryKeyRelatedField):
    """An opportunity id among those the user sees (the service checks it is the customer's)."""

    def get_queryset(self):
        return Opportunity.objects.visible_to(_user(self))


class BlankAsNullChoice(serializers.ChoiceField):
    """A choice stored as "" when unset (a visit level of a phone call): null in the answer."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class ActivitySerializer(serializers.ModelSerializer):
    """One activity as the customer's timeline shows it: a logged follow-up (status done, `at`
    set) or a planned one (`due_on` set; open, done with `completed_by`, or cancelled)."""

    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    customer_name = StrictCharField(source="customer.name", read_only=True)
    contact = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    opportunity = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    owner = OwnerSerializer(read_only=True)
    visit_level = BlankAsNullChoice(choices=Activity.VisitLevel.choices, help_text=_("Visits only; null for other types."))
    at = serializers.DateTimeField(read_only=True, allow_null=True, help_text=_("When a logged follow-up happened; null for a planned one."))
    due_on = serializers.DateField(read_only=True, allow_null=True, help_text=_("When a planned follow-up is due; null for a logged one."))
    planned_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    completed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Activity
        fields = ["id", "customer", "customer_name", "contact", "opportunity", "owner", "kind", "visit_level", "status",
                  "at", "due_on", "summary", "outcome", "planned_by", "completed_by", "closed_at", "cancel_reason",
                  "created_at", "updated_at"]
        read_only_fields = fields


class _LogFields(serializers.Serializer):
    """What logging a follow-up takes (the page's log form)."""

    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    visit_level = serializers.ChoiceField(choices=Activity.VisitLevel.choices, required=False,
                                          help_text=_("Required for a visit; leave it out for other types."))
    at = serializers.DateTimeField(help_text=_("When it happened (not in the future)."))
    summary = StrictCharField(max_length=10000, help_text=_("What was discussed."))
    outcome = StrictCharField(required=False, allow_blank=True, max_length=10000, default="")
    contact = VisibleContactRefField(required=False, allow_null=True, default=None)
    opportunity = VisibleOpportunityField(required=False, allow_null=True, default=None)
    next_due_on = serializers.DateField(required=False, allow_null=True, default=None, validators=[validate_date_in_range],
                                        help_text=_("Plan the next follow-up for this day (optional)."))
    next_kind = serializers.ChoiceField(choices=Activity.Kind.choices, required=False, allow_null=True, default=None,
                                        help_text=_("The type of the next follow-up; empty: the same as this one."))
    next_summary = StrictCharField(required=False, allow_blank=True, max_length=10000, default="")


class ActivityCreateSerializer(_LogFields):
    customer = VisibleCustomerField(help_text=_("The customer (one you may see and edit)."))
    fulfils = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=filters.MAX_ID,
                                       help_text=_("An open planned follow-up of this customer that this follow-up fulfils."))


class FollowUpCompleteSerializer(_LogFields):
    """Complete a planned follow-up: log the follow-up that fulfils it (as the page's "Log it")."""


class FollowUpCreateSerializer(serializers.Serializer):
    customer = VisibleCustomerField(help_text=_("The customer (one you may see and edit); its owner is to do it."))
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    visit_level = serializers.ChoiceField(choices=Activity.VisitLevel.choices, required=False)
    due_on = serializers.DateField(validators=[validate_date_in_range], help_text=_("Today or later."))
    summary = StrictCharField(required=False, allow_blank=True, max_length=10000, default="")
    contact = VisibleContactRefField(required=False, allow_null=True, default=None)
    opportunity = VisibleOpportunityField(required=False, allow_null=True, default=None)


class ActivityUpdateSerializer(serializers.Serializer):
    """A change of a logged follow-up (kind, visit level, contact, opportunity, time, summary,
    outcome) or a reschedule of an open planned one (kind, visit level, contact, opportunity,
    due date, summary), as the page's edit form; only the fields sent change, the others the
    shape does not have are ignored (kehu.activities.services.activity_update)."""

    kind = serializers.ChoiceField(choices=Activity.Kind.choices, required=False)
    visit_level = serializers.ChoiceField(choices=Activity.VisitLevel.choices, required=False, allow_blank=True)
    contact = VisibleContactRefField(required=False, allow_null=True)
    opportunity = VisibleOpportunityField(required=False, allow_null=True)
    at = serializers.DateTimeField(required=False, help_text=_("A logged follow-up: when it happened."))
    due_on = serializers.DateField(required=False, validators=[validate_date_in_range],
                                   help_text=_("An open planned follow-up: the new due date (today or later)."))
    summary = StrictCharField(required=False, allow_blank=True, max_length=10000)
    outcome = StrictCharField(required=False, allow_blank=True, max_length=10000)


class FollowUpCancelSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=255, help_text=_("Why the follow-up is cancelled."))


# --- the lists' query parameters ----------------------------------------------------------------

class ActivityFilter(filters.CustomerRecordFilter):
    kind = serializers.ChoiceField(choices=Activity.Kind.values, required=False, help_text=_("A type of follow-up."))
    owner = filters.id_field(_("Only the follow-ups logged by this user (their id)."))
    at_from = serializers.DateField(required=False, validators=[validate_date_in_range],
                                    help_text=_("Only those that happened on or after this day."))
    at_to = serializers.DateField(required=False, validators=[validate_date_in_range],
                                  help_text=_("Only those that happened on or before this day."))


class FollowUpFilter(filters.CustomerRecordFilter):
    who = serializers.RegexField(
        r"^(me|team|all|[1-9][0-9]{0,17})$", required=False,
        help_text=_('Whose planned follow-ups, as on the agenda: "me" (the default), "team" (a manager), "all" (an admin) or a user id.'),
    )
    status = serializers.ChoiceField(choices=Activity.Status.values, required=False,
                                     help_text=_("planned (the default): open ones; done: fulfilled; cancelled."))
    due = serializers.ChoiceField(choices=["overdue", "today", "upcoming"], required=False,
                                  help_text=_("overdue: due before today; today: due today; upcoming: due after today."))
    kind = serializers.ChoiceField(choices=Activity.Kind.values, required=False, help_text=_("A type of follow-up."))
    due_from = serializers.DateField(required=False, validators=[validate_date_in_range], help_text=_("Due on or after this day."))
    due_to = serializers.DateField(required=False, validators=[validate_date_in_range], help_text=_("Due on or before this day."))


# --- notifications ------------------------------------------------------------------------------

class NotificationSerializer(serializers.ModelSerializer):
    """One line of the user's notification centre, in the user's language."""

    message = StrictCharField(read_only=True, help_text=_("The notification as a sentence, translated."))
    detail = StrictCharField(read_only=True, help_text=_("A second line, when the fact has one (may be empty)."))
    customer = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    url = StrictCharField(read_only=True, help_text=_("The page it links to (may be empty)."))
    read_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text=_("Null while unread."))
    updated_at = serializers.DateTimeField(read_only=True, help_text=_("When it was created or read."))

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "detail", "customer", "url", "created_at", "read_at", "updated_at"]
        read_only_fields = fields


class NotificationFilter(filters.ListFilter):
    unread = serializers.ChoiceField(choices=["1", "0"], required=False, help_text=_("1: unread ones only; 0: read ones only."))


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many notifications were marked read."))

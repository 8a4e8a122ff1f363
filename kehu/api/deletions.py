"""Deletions for incremental sync (issue 14, engineer apirest): GET /api/deletions/.

A client syncing with `updated_since` never sees a record leave its lists. Three kinds of record
that a list of the API serves leave it:
- a customer moved to the recycle bin (`customer_delete`, soft: is_deleted) or merged away
  (`customer_merge`: the merged record goes to the recycle bin, pointing at the kept one);
- a contact deleted (`contact_delete`, soft: is_deleted);
- a logged activity deleted (`activity_delete`: a HARD delete; a planned follow-up is cancelled,
  a status change that `updated_since` shows).

Each of these services already writes an AuditEvent in its own transaction (verb delete, merge,
remove; the event names the record and its customer): the tombstones are read from there — no
second table, and a tombstone exists exactly when the delete committed.

Scope (docs/api.md, "Deletions"): a deletion is listed to a user who may see its customer now,
the recycle bin aside (`customer_scope(..., include_deleted=True)`): a rep the deletions of their
own and the pool's customers (and of those customers' contacts and activities), a manager their
teams', the director, finance and the admin all. The rule is read at the time of the request: a
customer handed over to someone else takes its tombstones along.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from kehu.accounts.visibility import customer_scope
from kehu.api import filters
from kehu.api.pagination import CursorPagination
from kehu.core.models import AuditEvent

TYPES = {"customer": "customer", "contact": "contact", "activity": "activity"}
REASONS = ["recycle_bin", "merged", "deleted"]


DELETION_VERBS = ["delete", "remove", "merge"]  # the first column of the index audit_deletion_idx


def deletions_visible_to(user):
    """The deletions `user` may see, oldest first: a customer's or a contact's move to the recycle
    bin (delete), a customer merged away (merge of the merged record, not of the kept one), an
    activity's removal (remove). Read through the index audit_deletion_idx (verb, object_type, at;
    kehu.core.models.AuditEvent), whatever the size of the audit trail: the deletions' ranges of it,
    the other rules as plain conditions (no OR across record types, which would take another index)."""
    from kehu.customers.models import CustomerMerge

    Verb = AuditEvent.Verb
    return (AuditEvent.objects.filter(verb__in=DELETION_VERBS, object_type__in=list(TYPES))
            .exclude(Q(object_type="activity") & ~Q(verb=Verb.REMOVE))
            .exclude(Q(object_type="contact") & ~Q(verb=Verb.DELETE))
            .exclude(object_type="customer", verb=Verb.REMOVE)
            .exclude(Q(object_type="customer", verb=Verb.MERGE) & ~Q(object_id__in=CustomerMerge.objects.values("merged_id")))
            .filter(customer_scope(user, prefix="customer", include_deleted=True)).order_by("at", "id"))


class DeletionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=list(TYPES), source="object_type", help_text=_("The kind of record."))
    id = serializers.IntegerField(source="object_id", help_text=_("The record's id."))
    customer = serializers.IntegerField(source="customer_id", help_text=_("Its customer (for a customer: itself)."))
    reason = serializers.SerializerMethodField(help_text=_(
        "recycle_bin: a customer or contact deleted (an administrator may restore a customer: it then shows again in "
        "updated_since); merged: a customer merged into another; deleted: an activity deleted for good."))
    deleted_at = serializers.DateTimeField(source="at")

    def get_reason(self, event) -> str:
        if event.verb == AuditEvent.Verb.MERGE:
            return "merged"
        return "deleted" if event.verb == AuditEvent.Verb.REMOVE else "recycle_bin"


class DeletionFilter(filters.ListFilter):
    since = serializers.DateTimeField(required=False, help_text=_(
        "Only the deletions at or after this time (ISO 8601): the time you last synced."))
    type = serializers.ChoiceField(choices=list(TYPES), required=False, help_text=_("Only the deletions of this kind of record."))


@extend_schema_view(list=extend_schema(
    summary=_("Deletions since a time, for incremental sync: customers, contacts and activities you may see"),
    description=_("Apply them before the records changed since the same time: a customer restored after its deletion "
                  "is changed later than it was deleted and comes back with updated_since."),
))
class DeletionViewSet(viewsets.GenericViewSet):
    serializer_class = DeletionSerializer
    pagination_class = CursorPagination
    filter_class = DeletionFilter
    sync = False  # `since` is this list's updated_since
    orderings = {}

    def get_queryset(self):
        return deletions_visible_to(self.request.user)

    def apply_filters(self, qs, data):
        if data.get("since") is not None:
            qs = qs.filter(at__gte=data["since"])
        if data.get("type"):
            qs = qs.filter(object_type=data["type"])
        return qs

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(DeletionSerializer(page, many=True).data)

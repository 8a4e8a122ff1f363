"""The follow-up API: logged activities, planned follow-ups and the user's notifications
(issue 14, engineer apiact). Viewsets only: parse, call the function the page calls, respond.

- /api/activities/: logged follow-ups of the customers the user sees
  (`Activity.objects.visible_to`, the customer decides); log one (`activities.services.activity_log`,
  the customer page's log form, optionally fulfilling a planned one and planning the next).
- /api/followups/: planned follow-ups, whose as on the agenda (`activities.agenda.agenda_scope`:
  a rep their own, a manager their own / their team's / a member's, an admin anyone's; finance
  has no agenda, 404); plan one (`activity_plan`), complete one by logging the follow-up that
  fulfils it, cancel one with a reason (`activity_cancel_planned`).
- /api/notifications/: the user's own (`Notification.objects.for_user`: anyone else's is 404),
  mark one or all read (`activities.notifications`).

An activity of a customer the user may not see is 404; a user who sees it but may not act
(finance, another team's manager on a pool record…) gets 403 from the service; a broken
rule (a visit without a level, a time in the future) 400 `rule_violated` with its message.
"""

from contextlib import contextmanager
from datetime import timedelta

from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.activities import agenda, notifications, services
from kehu.activities.errors import ActivityError
from kehu.activities.models import Activity
from kehu.api import activities_serializers as s
from kehu.api import filters
from kehu.api.errors import ServiceError
from kehu.api.pagination import CappedLimitOffsetPagination, CursorPagination
from kehu.api.views import ERRORS

TIMES = {"created_at": ["created_at"], "updated_at": ["updated_at"]}


@contextmanager
def activity_errors():
    """A broken rule of follow-up → 400 rule_violated with its translated message (PermissionDenied
    → 403 and Http404 → 404 by the error handler)."""
    try:
        yield
    except ActivityError as exc:
        raise ServiceError(exc.message) from exc


def _get(qs, pk):
    try:
        return qs.get(pk=filters.record_id(pk))
    except qs.model.DoesNotExist:
        raise Http404 from None


def _log_arguments(data: dict) -> dict:
    return {
        "kind": data["kind"], "visit_level": data.get("visit_level") or "", "at": data["at"], "summary": data["summary"],
        "outcome": data["outcome"], "contact": data["contact"], "opportunity": data["opportunity"],
        "next_due_on": data["next_due_on"], "next_kind": data["next_kind"], "next_summary": data["next_summary"],
    }


class ActivityScopeMixin:
    def scoped(self):
        return Activity.objects.visible_to(self.request.user).select_related("customer", "owner")

    def get_object(self):
        return _get(self.scoped(), self.kwargs["pk"])

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.ActivitySerializer(page, many=True, context=self.get_serializer_context()).data)

    def retrieve(self, request, pk=None):
        return Response(s.ActivitySerializer(self.get_object(), context=self.get_serializer_context()).data)

    def _respond(self, activity, code=status.HTTP_200_OK):
        fresh = ActivityScopeMixin.scoped(self).get(pk=activity.pk)  # a logged one too (complete answers it)
        return Response(s.ActivitySerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def partial_update(self, request, pk=None):
        """Edit a logged follow-up (its author for 7 days, the customer's managers and admins at
        any time) or reschedule an open planned one: activities.services.activity_update."""
        activity = self.get_object()
        serializer = s.ActivityUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with activity_errors():
            activity = services.activity_update(actor=request.user, activity=activity, data=dict(serializer.validated_data))
        return self._respond(activity)


# --- logged activities --------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Logged follow-ups of the customers you may see", responses={200: s.ActivitySerializer(many=True)}),
    retrieve=extend_schema(summary="An activity (logged or planned) of a customer you may see",
                           responses={200: s.ActivitySerializer, 404: ERRORS[404]}),
    create=extend_schema(
        summary="Log a follow-up (as the customer page): optionally fulfilling a planned one and planning the next",
        request=s.ActivityCreateSerializer, responses={201: s.ActivitySerializer, **ERRORS}),
    partial_update=extend_schema(
        summary="Edit a logged follow-up (its author for 7 days, managers and admins any time) or reschedule a planned one",
        request=s.ActivityUpdateSerializer, responses={200: s.ActivitySerializer, **ERRORS}),
    destroy=extend_schema(summary="Delete a logged follow-up (planned ones are cancelled, not deleted)",
                          responses={204: None, **ERRORS}),
)
class ActivityViewSet(ActivityScopeMixin, viewsets.GenericViewSet):
    pagination_class = CursorPagination
    filter_class = s.ActivityFilter
    orderings = {**TIMES, "at": ["at"]}

    def get_queryset(self):
        return self.scoped().filter(status=Activity.Status.DONE, at__isnull=False).order_by("-at", "-id")

    def get_serializer_class(self):
        return s.ActivityCreateSerializer if self.action == "create" else s.ActivitySerializer

    def apply_filters(self, qs, data):
        if data.get("customer") is not None:
            qs = qs.filter(customer_id=data["customer"])
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("owner") is not None:
            qs = qs.filter(owner_id=data["owner"])
        if data.get("at_from"):
            qs = qs.filter(at__gte=agenda.day_start(data["at_from"]))
        if data.get("at_to"):
            qs = qs.filter(at__lt=agenda.day_start(data["at_to"] + timedelta(days=1)))
        return qs

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = data["customer"]
        fulfils = None
        if data["fulfils"] is not None:  # one of this customer's activities the user sees, else 400 like the page's form
            fulfils = Activity.objects.visible_to(request.user).filter(customer=customer, pk=data["fulfils"]).first()
            if fulfils is None:
                raise ServiceError(_("That planned follow-up is no longer open."))
        with activity_errors():
            activity = services.activity_log(actor=request.user, customer=customer, fulfils=fulfils, **_log_arguments(data))
        return self._respond(activity, status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        with activity_errors():
            services.activity_delete(actor=request.user, activity=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- planned follow-ups -------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Planned follow-ups, whose as on the agenda (mine, my team's, a person's; overdue, today, upcoming)",
                       responses={200: s.ActivitySerializer(many=True), 404: ERRORS[404]}),
    retrieve=extend_schema(summary="A planned follow-up of a customer you may see", responses={200: s.ActivitySerializer, 404: ERRORS[404]}),
    create=extend_schema(summary="Plan a follow-up (the customer's owner is to do it)",
                         request=s.FollowUpCreateSerializer, responses={201: s.ActivitySerializer, **ERRORS}),
    partial_update=extend_schema(summary="Reschedule an open planned follow-up (due date, kind, contact, summary)",
                                 request=s.ActivityUpdateSerializer, responses={200: s.ActivitySerializer, **ERRORS}),
)
class FollowUpViewSet(ActivityScopeMixin, viewsets.GenericViewSet):
    pagination_class = CappedLimitOffsetPagination
    filter_class = s.FollowUpFilter
    orderings = {**TIMES, "due_on": ["due_on"]}

    def scoped(self):
        return super().scoped().filter(due_on__isnull=False)

    def get_queryset(self):
        return self.scoped().order_by("due_on", "id")

    def get_serializer_class(self):
        return {"create": s.FollowUpCreateSerializer, "complete": s.FollowUpCompleteSerializer,
                "cancel": s.FollowUpCancelSerializer}.get(self.action, s.ActivitySerializer)

    def apply_filters(self, qs, data):
        scope = agenda.agenda_scope(user=self.request.user, who=data.get("who"))  # finance, or someone out of reach: 404
        qs = scope.narrow(qs).filter(status=data.get("status") or Activity.Status.PLANNED)
        today = timezone.localdate()
        due = data.get("due")
        if due == "overdue":
            qs = qs.filter(due_on__lt=today)
        elif due == "today":
            qs = qs.filter(due_on__gte=today, due_on__lte=today)
        elif due == "upcoming":
            qs = qs.filter(due_on__gt=today)
        if data.get("customer") is not None:
            qs = qs.filter(customer_id=data["customer"])
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("due_from"):
            qs = qs.filter(due_on__gte=data["due_from"])
        if data.get("due_to"):
            qs = qs.filter(due_on__lte=data["due_to"])
        return qs

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with activity_errors():
            plan = services.activity_plan(
                actor=request.user, customer=data["customer"], kind=data["kind"], visit_level=data.get("visit_level") or "",
                due_on=data["due_on"], summary=data["summary"], contact=data["contact"], opportunity=data["opportunity"],
            )
        return self._respond(plan, status.HTTP_201_CREATED)

    @extend_schema(request=s.FollowUpCompleteSerializer, responses={201: s.ActivitySerializer, **ERRORS},
                   summary="Complete a planned follow-up: log the follow-up that fulfils it (answers the logged one)")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        plan = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with activity_errors():
            activity = services.activity_log(actor=request.user, customer=plan.customer, fulfils=plan,
                                             **_log_arguments(serializer.validated_data))
        return self._respond(activity, status.HTTP_201_CREATED)

    @extend_schema(request=s.FollowUpCancelSerializer, responses={200: s.ActivitySerializer, **ERRORS},
                   summary="Cancel a planned follow-up, saying why")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        plan = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with activity_errors():
            plan = services.activity_cancel_planned(actor=request.user, activity=plan, reason=serializer.validated_data["reason"])
        return self._respond(plan)


# --- notifications ------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Your notifications, newest first", responses={200: s.NotificationSerializer(many=True)}),
)
class NotificationViewSet(viewsets.GenericViewSet):
    serializer_class = s.NotificationSerializer
    pagination_class = CappedLimitOffsetPagination
    filter_class = s.NotificationFilter
    orderings = {"created_at": ["created_at"], "updated_at": ["updated_at"]}

    def scoped(self):
        # `updated_at`: when it last changed (created, then read), for updated_since and ordering.
        return notifications.notification_list(user=self.request.user).annotate(
            updated_at=Greatest(F("created_at"), Coalesce(F("read_at"), F("created_at"))),
        )

    def get_queryset(self):
        return self.scoped()

    def apply_filters(self, qs, data):
        if data.get("unread") == "1":
            qs = qs.filter(read_at__isnull=True)
        elif data.get("unread") == "0":
            qs = qs.filter(read_at__isnull=False)
        return qs

    def get_object(self):
        return _get(self.scoped(), self.kwargs["pk"])

    def _data(self, rows, many=False):
        notifications.notifications_decorate(rows if many else [rows])
        return s.NotificationSerializer(rows, many=many, context=self.get_serializer_context()).data

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._data(page, many=True))

    @extend_schema(request=None, responses={200: s.NotificationSerializer, 404: ERRORS[404]}, summary="Mark one of your notifications read")
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notifications.notification_mark_read(actor=request.user, notification=notification)
        return Response(self._data(self.get_object()))

    @extend_schema(request=None, responses={200: s.ReadAllSerializer}, summary="Mark all your notifications read")
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notifications.notification_mark_all_read(actor=request.user)})

"""The webhook management API (issue 14, engineer apirest): what the webhook pages do
(kehu/integrations/views.py), through the same selectors and services, for the admin only — anyone
else gets 403 as on the pages (`can_manage_webhooks`).

- /api/webhooks/subscriptions/: list, create (the signing secret is in the answer to the create
  and to a rotation only, as the page shows it once); /<pk>/: read, change (PATCH), delete (the
  deliveries with it, the events stay); /<pk>/rotate-secret/: a new secret; /<pk>/deliveries/:
  the subscription's deliveries, newest first.
- /api/webhooks/deliveries/<pk>/: one delivery with its attempts; /<pk>/replay/: send its event
  again as a new delivery (the subscription must be active).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from kehu.api import filters
from kehu.api.errors import ServiceError
from kehu.api.pagination import CappedLimitOffsetPagination
from kehu.api.strings import StrictCharField
from kehu.core.events import EVENT_TYPES
from kehu.integrations import selectors, services
from kehu.integrations.errors import WebhookError
from kehu.integrations.models import WebhookDelivery, WebhookSubscription
from kehu.integrations.permissions import can_manage_webhooks

class SubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENT_TYPES)))
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    deliveries = serializers.SerializerMethodField(help_text=_("Its deliveries so far."))
    failed = serializers.SerializerMethodField(help_text=_("Of them, failed after every attempt."))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "description", "event_types", "is_active", "created_by", "created_at", "updated_at",
                  "secret_rotated_at", "deliveries", "failed"]

    def get_deliveries(self, sub) -> int:
        return sub.n_deliveries  # selectors.subscription_list counts them

    def get_failed(self, sub) -> int:
        return sub.n_failed


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    secret = StrictCharField(help_text=_("The signing secret: shown here once; give it to the receiver."))

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SubscriptionWriteSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text=_("Kehu sends a signed POST here for each event; redirects are not followed."))
    description = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENT_TYPES)), allow_empty=False, max_length=20)
    is_active = serializers.BooleanField(required=False, default=True)


class SubscriptionPatchSerializer(SubscriptionWriteSerializer):
    url = serializers.URLField(max_length=500, required=False)
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENT_TYPES)), allow_empty=False, max_length=20,
                                        required=False)
    is_active = serializers.BooleanField(required=False)


class AttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    response_code = serializers.IntegerField(allow_null=True)
    succeeded = serializers.BooleanField()
    response_body = StrictCharField(allow_blank=True)
    error = StrictCharField(allow_blank=True)


class DeliverySerializer(serializers.ModelSerializer):
    uid = serializers.UUIDField(help_text=_("The delivery id (X-Kehu-Delivery)."))
    event_id = serializers.UUIDField(source="event.uid", help_text=_("The event id (X-Kehu-Event-Id): the same on a replay."))
    event_type = serializers.ChoiceField(source="event.event_type", choices=list(EVENT_TYPES))
    object_type = StrictCharField(source="event.object_type")
    object_id = serializers.IntegerField(source="event.object_id")
    subscription = serializers.IntegerField(source="subscription_id")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    replay_of = serializers.IntegerField(source="replay_of_id", allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "uid", "event_id", "event_type", "object_type", "object_id", "subscription", "status", "attempt_count",
                  "next_attempt_at", "last_attempt_at", "last_response_code", "replay_of", "created_at"]


class DeliveryDetailSerializer(DeliverySerializer):
    attempts = AttemptSerializer(many=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "attempts"]


class DeliveryFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.values, required=False)


class AllDeliveriesFilter(filters.ListFilter):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.values, required=False)
    subscription = filters.id_field(_("Only the deliveries of this subscription (its id)."))


class _AdminOnly:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_manage_webhooks(request.user):
            raise ApiPermissionDenied


def _service(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except WebhookError as exc:
        raise ServiceError(exc.message) from exc
    except PermissionDenied as exc:
        raise ApiPermissionDenied from exc


@extend_schema_view(
    list=extend_schema(summary=_("Webhook subscriptions (administrators)")),
    retrieve=extend_schema(summary=_("A webhook subscription (administrators)")),
    create=extend_schema(request=SubscriptionWriteSerializer, responses={201: SubscriptionWithSecretSerializer},
                         summary=_("Subscribe a URL to events; the answer shows the signing secret once")),
    partial_update=extend_schema(request=SubscriptionPatchSerializer, responses={200: SubscriptionSerializer},
                                 summary=_("Change a webhook subscription (URL, events, description, active)")),
    destroy=extend_schema(responses={204: None}, summary=_("Delete a webhook subscription with its deliveries")),
)
class SubscriptionViewSet(_AdminOnly, viewsets.GenericViewSet):
    serializer_class = SubscriptionSerializer
    pagination_class = CappedLimitOffsetPagination
    sync = True
    orderings = {}

    def get_queryset(self):
        return selectors.subscription_list()

    def get_object(self):
        sub = self.get_queryset().filter(pk=filters.record_id(self.kwargs["pk"])).first()
        if sub is None:
            raise Http404
        return sub

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(SubscriptionSerializer(self.get_object()).data)

    def create(self, request):
        serializer = SubscriptionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub = _service(services.subscription_create, actor=request.user, **serializer.validated_data)
        return Response(SubscriptionWithSecretSerializer(self.get_queryset().get(pk=sub.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        sub = self.get_object()
        serializer = SubscriptionPatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {"url": sub.url, "description": sub.description, "event_types": sub.event_types, "is_active": sub.is_active,
                **serializer.validated_data}
        _service(services.subscription_update, actor=request.user, subscription=sub, **data)
        return Response(SubscriptionSerializer(self.get_object()).data)

    def destroy(self, request, pk=None):
        _service(services.subscription_delete, actor=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: SubscriptionWithSecretSerializer},
                   summary=_("Make a new signing secret (shown once); deliveries are signed with it from now on"))
    @action(detail=True, methods=["post"], filter_backends=[])
    def rotate_secret(self, request, pk=None):
        sub = _service(services.subscription_rotate_secret, actor=request.user, subscription=self.get_object())
        return Response(SubscriptionWithSecretSerializer(self.get_queryset().get(pk=sub.pk)).data)

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=WebhookDelivery.Status.values),
                               OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
                   responses={200: DeliverySerializer(many=True)}, summary=_("A subscription's deliveries, newest first"))
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        sub = self.get_object()
        params = DeliveryFilter(data={k: v for k, v in request.query_params.items() if k == "status"})
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.delivery_list(status=params.validated_data.get("status") or "", subscription_id=sub.pk))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(responses={200: DeliverySerializer(many=True)},
                       summary=_("Every subscription's deliveries, newest first (the deliveries page)")),
    retrieve=extend_schema(responses={200: DeliveryDetailSerializer}, summary=_("A delivery with its attempts")),
)
class DeliveryViewSet(_AdminOnly, viewsets.GenericViewSet):
    serializer_class = DeliveryDetailSerializer
    pagination_class = CappedLimitOffsetPagination
    filter_class = AllDeliveriesFilter
    sync = False  # a delivery has no updated_at
    orderings = {}

    def get_queryset(self):
        return WebhookDelivery.objects.select_related("event", "subscription", "replay_of")

    def get_object(self):
        delivery = self.get_queryset().filter(pk=filters.record_id(self.kwargs["pk"])).first()
        if delivery is None:
            raise Http404
        return delivery

    def apply_filters(self, qs, data):
        return selectors.delivery_list(status=data.get("status") or "", subscription_id=data.get("subscription"))

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(DeliveryDetailSerializer(self.get_object()).data)

    @extend_schema(request=None, responses={201: DeliverySerializer},
                   summary=_("Send the delivery's event again, as a new delivery (same event id)"))
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        replay = _service(services.delivery_replay, actor=request.user, delivery=self.get_object())
        return Response(DeliverySerializer(self.get_queryset().get(pk=replay.pk)).data, status=status.HTTP_201_CREATED)

"""The handover history on the API (issue 14, apisell): GET /api/handovers/ lists the handovers
the handover page shows its user (kehu.customers.services.handover.handover_scope: an admin all,
a manager those from or to somebody they manage, anyone else none), newest first. POST on the
same path hands customers over (kehu.api.customer_ops.HandoverViewSet, apiact)."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from kehu.api.customer_ops import HandoverViewSet
from kehu.api.customer_ops_serializers import HandoverSerializer
from kehu.api.pagination import CappedLimitOffsetPagination
from kehu.customers.models import Customer
from kehu.customers.services.handover import handover_scope


class HandoverHistorySerializer(HandoverSerializer):
    customers = serializers.SerializerMethodField(
        help_text=_("The ids of the customers handed over that you may see (customer_count counts them all)."))

    def get_customers(self, handover) -> list[int]:
        return sorted(c.pk for c in handover.customers.all())  # prefetched within the reader's scope


class HandoverHistoryViewSet(HandoverViewSet):
    """GET: the history (read); POST: apiact's handover."""

    pagination_class = CappedLimitOffsetPagination

    def get_serializer_class(self):
        return HandoverHistorySerializer if self.action == "list" else super().get_serializer_class()

    def get_queryset(self):
        if self.action != "list":
            return super().get_queryset()
        user = self.request.user
        visible = Prefetch("customers", queryset=Customer.objects.visible_to(user).only("pk"))
        return handover_scope(user=user).prefetch_related(visible)

    @extend_schema(responses={200: HandoverHistorySerializer(many=True)},
                   summary="The handovers you may see, newest first (managers: of the people they manage; admins: all)")
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

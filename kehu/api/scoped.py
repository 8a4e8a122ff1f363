"""The one way an API list and record are read: through the view's `get_queryset()` — the
visibility scope — so a record outside it is 404, never 403 (docs/visibility.md)."""

from django.http import Http404
from rest_framework import viewsets
from rest_framework.response import Response

from kehu.api import filters
from kehu.api.pagination import CappedLimitOffsetPagination


class ScopedReads(viewsets.GenericViewSet):
    """list + retrieve over `get_queryset()`, paginated; `get_object` is a record of it or 404."""

    pagination_class = CappedLimitOffsetPagination

    def get_object(self):
        qs = self.get_queryset()
        try:
            return qs.get(pk=filters.record_id(self.kwargs["pk"]))
        except qs.model.DoesNotExist:
            raise Http404 from None

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

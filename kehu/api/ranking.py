"""The ranking API (issue 14, engineer apifin): evaluation runs, a run's class table and its
results, and starting a run — the run pages' selectors (kehu.ranking.selectors) and service
(kehu.ranking.services.evaluation_run, one transaction: all results or none).

Runs are company-wide, as on the pages: every signed-in user lists and opens every run, while
the class table and the results count only the customers the user may see (a rep their own and
the pool's). Starting a run: administrators and managers (`can_start_run`); anyone else 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from kehu.api import filters
from kehu.api import ranking_serializers as s
from kehu.api.errors import ServiceError
from kehu.api.pagination import CappedLimitOffsetPagination
from kehu.ranking import selectors
from kehu.ranking.errors import RankingError
from kehu.ranking.permissions import can_start_run
from kehu.ranking.services import evaluation_run

CLASS_PARAMETER = OpenApiParameter("class", str, enum=s.ALL_CLASSES, description=_("Only the results of this class (one of the run's model)."))


@extend_schema_view(
    list=extend_schema(summary=_("Evaluation runs, newest as-of first")),
    retrieve=extend_schema(responses={200: s.RunDetailSerializer},
                           summary=_("A run with its class table over the customers you may see")),
    create=extend_schema(request=s.RunCreateSerializer, responses={201: s.RunDetailSerializer},
                         summary=_("Start an evaluation run (administrators and managers)")),
)
class RunViewSet(viewsets.GenericViewSet):
    pagination_class = CappedLimitOffsetPagination
    filter_class = s.RunListFilter
    sync = False  # a run is never changed after it is made
    serializer_class = s.RunSerializer

    def get_queryset(self):
        return selectors.run_list()

    def apply_filters(self, qs, data):
        return qs.filter(model=data["model"]) if data.get("model") else qs

    def get_object(self):
        run = selectors.run_get(filters.record_id(self.kwargs["pk"]))
        if run is None:
            raise Http404
        return run

    def _detail(self, run, code=status.HTTP_200_OK):
        context = {**self.get_serializer_context(), "table": selectors.class_table(run, self.request.user)}
        return Response(s.RunDetailSerializer(run, context=context).data, status=code)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.RunSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._detail(self.get_object())

    def create(self, request):
        if not can_start_run(request.user):
            raise ApiPermissionDenied(_("Only an administrator or a manager may start an evaluation run."))
        serializer = s.RunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            run = evaluation_run(actor=request.user, model=data["model"], as_of=data["as_of"],
                                 window_months=data.get("window_months"))
        except RankingError as exc:
            raise ServiceError(exc.message) from exc
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from exc
        return self._detail(selectors.run_get(run.pk), status.HTTP_201_CREATED)

    @extend_schema(parameters=[CLASS_PARAMETER, OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
                   responses={200: s.ResultSerializer(many=True)},
                   summary=_("A run's results for the customers you may see, in the run's order"))
    @action(detail=True, methods=["get"], pagination_class=CappedLimitOffsetPagination, filter_backends=[])
    def results(self, request, pk=None):
        run = self.get_object()
        query = s.ResultQuerySerializer(data={k: v for k, v in request.query_params.items() if k == "class"}, model=run.model)
        query.is_valid(raise_exception=True)
        rows = selectors.result_rows(run, request.user, klass=query.validated_data.get("class") or None)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.ResultSerializer(page, many=True, context={"model": run.model}).data)

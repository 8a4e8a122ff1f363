"""The customer operations of the API (issue 14, engineer apiact): release to the pool, handover,
merge, the qualification checklist and the key-account archive. Claiming from the pool is
/api/customers/<id>/claim/ (kehu.api.views).

Each endpoint fetches the customer through the visibility scope (404 otherwise) and calls the
service the page calls; the service decides who may act (403 for a user who sees the record
but may not), a broken rule is 400 `rule_violated` with its translated message. Merge and
handover are written at once, so they take the page's confirmation step as an explicit
`confirm: true` (without it: 400 `validation_error`, code `confirm_required` on `confirm`).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.accounts.models import User
from kehu.api import customer_ops_serializers as s
from kehu.api import filters
from kehu.api import serializers as customer_serializers
from kehu.api.views import ERRORS, service_errors
from kehu.customers import permissions, selectors, services
from kehu.customers import qualification as q
from kehu.customers.archive import selectors as archive_selectors
from kehu.customers.models import ArchiveSection, CategorySpend, Customer
from kehu.customers.services import archive as archive_services
from kehu.customers.views.pool import _handover_people


def archive_data(view, customer) -> dict:
    """The archive of `customer` as the archive page shows it to the view's user."""
    user = view.request.user
    archive = archive_selectors.customer_archive(user=user, pk=customer.pk)
    return s.ArchiveSerializer({
        "customer": archive.customer, "can_edit": permissions.can_edit_customer(user, archive.customer),
        "sections": archive.sections, "decision_makers": archive.decision_makers,
        "spend": [row for year in archive.years for row in year.rows],
    }, context=view.get_serializer_context()).data


class CustomerOperationsViewSet(viewsets.GenericViewSet):
    """Operations on one customer, /api/customers/<id>/<operation>/."""

    filter_backends = []
    pagination_class = None
    serializer_class = s.ReleaseSerializer  # each action declares its own

    def get_queryset(self):
        return Customer.objects.visible_to(self.request.user)

    def get_object(self):
        return selectors.customer_get_visible_or_404(user=self.request.user, pk=filters.record_id(self.kwargs["pk"]))

    def _customer(self, customer):
        fresh = selectors.customer_get_visible_or_404(user=self.request.user, pk=customer.pk)
        return customer_serializers.CustomerSerializer(fresh, context=self.get_serializer_context()).data

    # --- pool ------------------------------------------------------------------------------------

    @extend_schema(request=s.ReleaseSerializer, responses={200: customer_serializers.CustomerSerializer, **ERRORS},
                   summary="Release a customer to the public pool, saying why (its owner, their manager, an admin)")
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        customer = self.get_object()
        serializer = s.ReleaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors(request.user):
            services.customer_release(actor=request.user, customer=customer, reason=serializer.validated_data["reason"])
        # Released by a rep, the customer is in the pool, which the rep still sees.
        return Response(self._customer(customer))

    # --- merge -----------------------------------------------------------------------------------

    @extend_schema(request=s.MergeSerializer, responses={200: s.MergeResultSerializer, **ERRORS},
                   summary="Merge two records of the same customer (confirm: true); the merged one goes to the recycle bin")
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        customer = self.get_object()
        if not permissions.can_edit_customer(request.user, customer):
            raise PermissionDenied
        serializer = s.MergeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        other = data["other"]
        kept, merged = (customer, other) if data["keep"] == "this" else (other, customer)
        with service_errors(request.user):
            record = services.customer_merge(actor=request.user, kept=kept, merged=merged)
        return Response({"kept": kept.pk, "merged": merged.pk, "moved_counts": record.moved_counts})

    # --- qualification -----------------------------------------------------------------------------

    def _qualification(self, customer, *, qualified=False):
        rows = q.checklist_rows(customer=customer)
        return s.QualificationSerializer({
            "customer": customer.pk, "stage": customer.stage, "shown": q.shows_checklist(customer),
            "can_check": permissions.can_check_qualification(self.request.user, customer),
            "done": sum(1 for r in rows if r["check"]), "total": len(rows), "qualified": qualified,
            "items": [{
                "item": r["item"], "checked": r["check"] is not None, "note": r["check"].note if r["check"] else "",
                "checked_by": r["check"].checked_by if r["check"] else None,
                "checked_at": r["check"].checked_at if r["check"] else None,
            } for r in rows],
        }).data

    @extend_schema(methods=["GET"], responses={200: s.QualificationSerializer, 404: ERRORS[404]},
                   summary="The customer's qualification checklist")
    @extend_schema(methods=["POST"], request=s.QualificationTickSerializer, responses={200: s.QualificationSerializer, **ERRORS},
                   summary="Tick or untick an item; a prospect with every item ticked becomes qualified")
    @action(detail=True, methods=["get", "post"])
    def qualification(self, request, pk=None):
        customer = self.get_object()
        if request.method == "GET":
            return Response(self._qualification(customer))
        serializer = s.QualificationTickSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors(request.user):
            if data["checked"]:
                outcome = q.qualification_check(actor=request.user, customer=customer, item=data["item"], note=data["note"])
            else:
                outcome = q.qualification_uncheck(actor=request.user, customer=customer, item=data["item"])
        customer = self.get_object()
        return Response(self._qualification(customer, qualified=outcome.qualified))

    # --- key-account archive -------------------------------------------------------------------------

    def _archive(self, customer):
        return archive_data(self, customer)

    @extend_schema(responses={200: s.ArchiveSerializer, 404: ERRORS[404]}, summary="The customer's key-account archive")
    @action(detail=True, methods=["get"])
    def archive(self, request, pk=None):
        return Response(self._archive(self.get_object()))

    @extend_schema(
        request=s.ArchiveSectionWriteSerializer, responses={200: s.ArchiveSerializer, **ERRORS},
        parameters=[OpenApiParameter("section", str, OpenApiParameter.PATH, enum=ArchiveSection.Section.values)],
        summary="Write one section of the archive (whoever may edit the customer)",
    )
    @action(detail=True, methods=["put"], url_path=r"archive/(?P<section>[a-z_]+)")
    def archive_section(self, request, pk=None, section=None):
        customer = self.get_object()
        if section not in ArchiveSection.Section.values:
            raise Http404
        serializer = s.ArchiveSectionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors(request.user):
            archive_services.archive_section_update(actor=request.user, customer=customer, section=section,
                                                    text=data["text"], share_pct=data["share_pct"])
        return Response(self._archive(customer))


    @extend_schema(request=s.SpendWriteSerializer, responses={201: s.ArchiveSerializer, **ERRORS},
                   summary="Record the customer's spend on a product category in a year (whoever may edit the customer)")
    @action(detail=True, methods=["post"], url_path="archive/spend")
    def spend_create(self, request, pk=None):
        customer = self.get_object()
        serializer = s.SpendWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors(request.user):
            archive_services.category_spend_set(actor=request.user, customer=customer, **serializer.validated_data)
        return Response(self._archive(customer), status=status.HTTP_201_CREATED)


class SpendViewSet(viewsets.GenericViewSet):
    """/api/archive/spend/<id>/: change or remove one spend row of a customer's archive (its
    customer in scope, else 404; whoever may edit the customer, else 403)."""

    filter_backends = []
    pagination_class = None
    serializer_class = s.SpendWriteSerializer

    def get_queryset(self):
        return CategorySpend.objects.visible_to(self.request.user)

    def get_object(self):
        return archive_selectors.category_spend_get_visible_or_404(user=self.request.user, pk=filters.record_id(self.kwargs["pk"]))

    def _archive(self, customer):
        return archive_data(self, customer)

    @extend_schema(responses={200: s.SpendRowSerializer, 404: ERRORS[404]}, summary="A spend row, with the growth the archive shows")
    def retrieve(self, request, pk=None):
        spend = self.get_object()
        rows = [r for year in archive_selectors.customer_spend_years(customer=spend.customer) for r in year.rows]
        return Response(s.SpendRowSerializer(next(r for r in rows if r.spend.pk == spend.pk), context=self.get_serializer_context()).data)

    @extend_schema(request=s.SpendWriteSerializer, responses={200: s.ArchiveSerializer, **ERRORS}, summary="Change a spend row")
    def update(self, request, pk=None):
        spend = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors(request.user):
            archive_services.category_spend_set(actor=request.user, customer=spend.customer, spend=spend, **serializer.validated_data)
        return Response(self._archive(spend.customer))

    @extend_schema(responses={204: None, 403: ERRORS[403], 404: ERRORS[404]}, summary="Remove a spend row")
    def destroy(self, request, pk=None):
        spend = self.get_object()
        with service_errors(request.user):
            archive_services.category_spend_delete(actor=request.user, spend=spend)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HandoverViewSet(viewsets.GenericViewSet):
    """POST /api/handovers/: the handover page's step 3, for managers (between members of their
    teams) and admins; reps and finance have no handover page (404)."""

    filter_backends = []
    pagination_class = None
    serializer_class = s.HandoverCreateSerializer

    def get_queryset(self):
        return User.objects.none()

    @extend_schema(request=s.HandoverCreateSerializer, responses={201: s.HandoverSerializer, **ERRORS},
                   summary="Hand customers over from one sales user to another (confirm: true)")
    def create(self, request):
        user = request.user
        if not (user.is_active and (user.is_manager or user.is_admin_role)):
            raise Http404
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        from_choices, to_choices = _handover_people(user)
        from_user = next((u for u in from_choices if u.pk == data["from_user"]), None)
        to_user = next((u for u in to_choices if u.pk == data["to_user"]), None)
        if from_user is None or to_user is None:
            raise Http404  # somebody the page would not offer
        with service_errors(user):
            handover = services.customer_handover(actor=user, from_user=from_user, to_user=to_user,
                                                  customer_ids=data["customer_ids"], note=data["note"])
        return Response(s.HandoverSerializer(handover, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

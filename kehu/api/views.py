"""The customer and contact API. Viewsets only: parse, call the service the pages call, respond.

Every object is fetched through the visibility scope (selectors), so what a user may not
see answers 404, exactly like the pages; there is no class-level `queryset`. A service
refusing an action on a record the user does see (finance editing sales data, a rep
deleting) answers 403; a broken rule answers 400. Every error has one shape (kehu.api.errors).
"""

from contextlib import contextmanager

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.api import serializers as s
from kehu.api.errors import PreconditionFailed, ServiceError
from kehu.api import filters
from kehu.api.pagination import CappedLimitOffsetPagination, CursorPagination
from kehu.customers import selectors, services
from kehu.core.errors import StaleEdit
from kehu.customers.errors import CustomerError, DuplicateCustomer
from kehu.customers.services.records import contact_etag, customer_etag
from kehu.customers.models import Contact, Customer


def if_match(request) -> list[str] | None:
    """The ETags of the request's If-Match header (None without one): the client's precondition
    for PUT/PATCH. A weak tag (W/"…") is compared as the same tag."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def _duplicate_payload(exc: DuplicateCustomer, user) -> dict:
    ids = [m.customer.pk for m in exc.matches]
    visible = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    return {
        "blocking": exc.blocking,
        "matches": [
            {
                "reason": m.reason,
                "code": m.customer.code,
                "name": m.customer.name,
                "owner": str(m.customer.owner) if m.customer.owner_id else None,
                "id": m.customer.pk if m.customer.pk in visible else None,
            }
            for m in exc.matches
        ],
    }


@contextmanager
def service_errors(user):
    """Turn the service's rule errors into 400 answers (PermissionDenied and Http404 pass on to DRF)."""
    try:
        yield
    except StaleEdit as exc:
        raise PreconditionFailed(str(exc.message)) from exc
    except DuplicateCustomer as exc:
        raise ServiceError(exc.message, code="duplicate_customer", **_duplicate_payload(exc, user)) from exc
    except CustomerError as exc:
        raise ServiceError(exc.message) from exc


# The error answers' descriptions; their body, {"error": {...}}, is declared for every operation
# by kehu.api.errors.add_error_responses.
ERRORS = {
    400: OpenApiResponse(description="Not valid (validation_error, with fields) or a rule was broken (rule_violated, duplicate_customer)."),
    403: OpenApiResponse(description="You see the record but may not do this."),
    404: OpenApiResponse(description="No such record, or you may not see it."),
    412: OpenApiResponse(description="If-Match no longer holds: the record changed since you read it."),
}
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=False,
    description="The ETag of the record as you read it (GET); a record changed since answers 412 and is not saved.",
)
@extend_schema_view(
    list=extend_schema(summary="Customers you may see"),
    create=extend_schema(request=s.CustomerCreateSerializer, responses={201: s.CustomerSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: s.CustomerSerializer, 404: ERRORS[404]}),
    partial_update=extend_schema(request=s.CustomerSerializer, responses={200: s.CustomerSerializer, **ERRORS}, parameters=[IF_MATCH]),
    destroy=extend_schema(responses={204: None, 403: ERRORS[403], 404: ERRORS[404]}, summary="Move to the recycle bin"),
)
class CustomerViewSet(viewsets.GenericViewSet):
    pagination_class = CursorPagination
    filter_class = filters.CustomerFilter
    orderings = {"created_at": ["created_at"], "updated_at": ["updated_at"], "name": ["name_pinyin"], "code": ["code"]}

    @property
    def paginator(self):
        """Cursor pages for the customer list; a customer's contacts keep their offset pages."""
        if not hasattr(self, "_paginator"):
            self._paginator = CursorPagination() if self.action == "list" else CappedLimitOffsetPagination()
        return self._paginator

    def get_queryset(self):
        if self.action == "list":
            return selectors.customer_list(user=self.request.user, params=self.request.query_params)
        return Customer.objects.visible_to(self.request.user)

    def get_object(self):
        return selectors.customer_get_visible_or_404(user=self.request.user, pk=filters.record_id(self.kwargs["pk"]))

    def get_serializer_class(self):
        if self.action == "list":
            return s.CustomerListSerializer
        if self.action == "create":
            return s.CustomerCreateSerializer
        if self.action == "contacts":
            return s.ContactSerializer
        return s.CustomerSerializer

    def _respond(self, customer, code=status.HTTP_200_OK, *, fetch=True):
        if fetch:  # after a write: the record as the user now sees it
            customer = selectors.customer_get_visible_or_404(user=self.request.user, pk=customer.pk)
        response = Response(s.CustomerSerializer(customer, context=self.get_serializer_context()).data, status=code)
        response["ETag"] = customer_etag(customer, user=self.request.user)
        return response

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        args = s.customer_write_arguments(serializer.validated_data)
        with service_errors(request.user):
            customer = services.customer_create(
                actor=request.user, data=args["data"], tags=args["tags"] or (), credit=args["credit"],
                allow_possible_duplicate=serializer.validated_data["allow_possible_duplicate"],
            )
        return self._respond(customer, status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        return self._respond(self.get_object(), fetch=False)

    def partial_update(self, request, pk=None):
        customer = self.get_object()
        serializer = self.get_serializer(customer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with service_errors(request.user):
            customer = services.customer_update(actor=request.user, customer=customer, if_match=if_match(request),
                                                **s.customer_write_arguments(serializer.validated_data))
        return self._respond(customer)

    def destroy(self, request, pk=None):
        with service_errors(request.user):
            services.customer_delete(actor=request.user, customer=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.CustomerSerializer, **ERRORS}, summary="Claim from the public pool")
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        with service_errors(request.user):
            customer = services.customer_claim(actor=request.user, customer=self.get_object())
        return self._respond(customer)

    @extend_schema(methods=["GET"], responses={200: s.ContactSerializer(many=True), 404: ERRORS[404]}, summary="The customer's contacts")
    @extend_schema(methods=["POST"], request=s.ContactSerializer, responses={201: s.ContactSerializer, **ERRORS}, summary="Add a contact")
    @action(detail=True, methods=["get", "post"])
    def contacts(self, request, pk=None):
        customer = self.get_object()
        if request.method == "POST":
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            with service_errors(request.user):
                contact = services.contact_create(actor=request.user, customer=customer, data=s.contact_write_data(serializer.validated_data))
            return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)
        rows = Contact.objects.visible_to(request.user).filter(customer=customer).order_by("name", "id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(responses={200: s.ContactSerializer, 404: ERRORS[404]}),
    update=extend_schema(responses={200: s.ContactSerializer, **ERRORS}, parameters=[IF_MATCH]),
    partial_update=extend_schema(responses={200: s.ContactSerializer, **ERRORS}, parameters=[IF_MATCH]),
    destroy=extend_schema(responses={204: None, 403: ERRORS[403], 404: ERRORS[404]}),
)
class ContactViewSet(viewsets.GenericViewSet):
    filter_backends = []
    serializer_class = s.ContactSerializer

    def get_queryset(self):
        return Contact.objects.visible_to(self.request.user).select_related("customer")

    def get_object(self):
        return selectors.contact_get_visible_or_404(user=self.request.user, pk=filters.record_id(self.kwargs["pk"]))

    def _respond(self, contact):
        response = Response(self.get_serializer(contact).data)
        response["ETag"] = contact_etag(contact, user=self.request.user)
        return response

    def retrieve(self, request, pk=None):
        return self._respond(self.get_object())

    def update(self, request, pk=None, partial=False):
        contact = self.get_object()
        serializer = self.get_serializer(contact, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with service_errors(request.user):
            contact = services.contact_update(actor=request.user, contact=contact, if_match=if_match(request),
                                              data=s.contact_write_data(serializer.validated_data))
        return self._respond(contact)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        with service_errors(request.user):
            services.contact_delete(actor=request.user, contact=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

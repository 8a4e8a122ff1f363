"""The selling API: opportunities (read, create, update, move), quotes (read, create, edit,
submit, approve / reject, mark sent / accepted), contracts (read, create, change the plan),
orders (read, create, confirm under credit control, ship, release a hold), receivables (read)
and payments (read, record, reverse).

Every queryset starts from `Model.objects.visible_to(request.user)`, so a record the user may
not see answers 404 like a missing one; there is no class-level `queryset`. Writes call the
services the pages call (kehu.sales.services, kehu.finance.services): a user who sees the
record but may not act gets 403 (finance editing sales data, a rep recording a payment), a
broken rule 400 with the service's translated `detail`.
"""

from contextlib import contextmanager

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from kehu.accounts import permissions
from kehu.api import selling_serializers as s
from kehu.api import filters
from kehu.api.errors import PreconditionFailed, ServiceError
from kehu.api.pagination import CursorPagination
from kehu.api.scoped import ScopedReads
from kehu.api.views import ERRORS
from kehu.core.errors import StaleEdit
from kehu.finance import selectors as finance_selectors
from kehu.finance import services as finance_services
from kehu.finance.errors import FinanceError, OverpaymentError
from kehu.finance.permissions import (
    can_create_contract,
    can_create_order,
    can_edit_order,
    can_edit_plan,
    can_record_any_payment,
    can_release_order,
    can_reverse_payment,
)
from kehu.sales import services as sales_services
from kehu.sales.models import Opportunity, Quote, QuoteLine


def if_match(request) -> list[str] | None:
    """The ETags of the request's If-Match header, or None (no header, or "*": no check)."""
    header = request.headers.get("If-Match", "").strip()
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if not tags or "*" in tags:
        return None
    return [t[2:] if t.startswith("W/") else t for t in tags]


@contextmanager
def selling_errors():
    """Sales and finance rule errors → 400 with the translated message; a stale If-Match → 412
    (PermissionDenied → 403 by DRF)."""
    try:
        yield
    except StaleEdit as exc:
        raise PreconditionFailed(str(exc.message)) from exc
    except sales_services.SalesError as exc:
        raise ServiceError(exc.message) from exc
    except OverpaymentError as exc:
        raise ServiceError(exc.message, code="overpayment", open_amount=str(exc.details["open"])) from exc
    except FinanceError as exc:
        raise ServiceError(exc.message) from exc


TIMES = {"created_at": ["created_at"], "updated_at": ["updated_at"]}


class ScopedReadViewSet(ScopedReads):
    """list + retrieve over `scoped(user)`: the visibility scope with its joins. The list's query
    parameters are `filter_class` (validated by kehu.api.filters.ValidatedFilterBackend), its
    order one of `orderings`."""

    filter_class = filters.CustomerRecordFilter
    orderings = TIMES
    list_serializer = None
    detail_serializer = None

    def scoped(self):
        raise NotImplementedError

    def apply_filters(self, qs, data):
        return qs.filter(customer_id=data["customer"]) if data.get("customer") is not None else qs

    def get_queryset(self):
        return self.scoped()

    def get_serializer_class(self):
        return self.list_serializer if self.action == "list" else self.detail_serializer


# --- opportunities ----------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Opportunities you may see"),
    retrieve=extend_schema(responses={200: s.OpportunitySerializer, 404: ERRORS[404]},
                           summary="An opportunity; its ETag header is the If-Match of a later PATCH"),
    create=extend_schema(request=s.OpportunityCreateSerializer, responses={201: s.OpportunitySerializer, **ERRORS},
                         summary="Create an opportunity of a customer you may edit"),
    partial_update=extend_schema(
        request=s.OpportunitySerializer,
        parameters=[OpenApiParameter("If-Match", str, location=OpenApiParameter.HEADER, required=False,
                                     description="The ETag of the GET; when the opportunity changed since, 412 and nothing is saved.")],
        responses={200: s.OpportunitySerializer, **ERRORS},
        summary="Change an opportunity (the stage moves through /move/)"),
)
class OpportunityViewSet(ScopedReadViewSet):
    list_serializer = detail_serializer = s.OpportunitySerializer
    pagination_class = CursorPagination
    filter_class = filters.OpportunityFilter
    orderings = {**TIMES, "code": ["code"]}

    def scoped(self):
        return Opportunity.objects.visible_to(self.request.user).select_related("customer", "owner", "stage")

    def apply_filters(self, qs, data):
        qs = super().apply_filters(qs, data)
        if data.get("stage"):
            qs = qs.filter(stage__code=data["stage"])
        if data.get("open") in ("0", "1"):
            qs = qs.filter(stage__is_closed=data["open"] == "0")
        return qs

    def get_serializer_class(self):
        if self.action == "create":
            return s.OpportunityCreateSerializer
        if self.action == "move":
            return s.OpportunityMoveSerializer
        return super().get_serializer_class()

    def _respond(self, opportunity, code=status.HTTP_200_OK):
        fresh = self.scoped().get(pk=opportunity.pk)
        response = Response(s.OpportunitySerializer(fresh, context=self.get_serializer_context()).data, status=code)
        response["ETag"] = sales_services.opportunity_etag(fresh)
        return response

    def retrieve(self, request, pk=None):
        """The opportunity with its ETag: send it back as If-Match with a PATCH, so a change
        somebody made in between is not overwritten (412 instead)."""
        opportunity = self.get_object()
        response = Response(self.get_serializer(opportunity).data)
        response["ETag"] = sales_services.opportunity_etag(opportunity)
        return response

    def _may_edit(self, opportunity):
        if not sales_services.can_edit_opportunity(self.request.user, opportunity):
            raise ApiPermissionDenied

    def create(self, request):
        if not permissions.is_sales(request.user):
            raise ApiPermissionDenied  # finance never edits sales data
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with selling_errors():
            opportunity = sales_services.opportunity_create(actor=request.user, **s.opportunity_create_arguments(serializer.validated_data))
        return self._respond(opportunity, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        opportunity = self.get_object()
        self._may_edit(opportunity)
        serializer = self.get_serializer(opportunity, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k in s.OpportunitySerializer.Meta.editable}
        with selling_errors():
            opportunity = sales_services.opportunity_update(actor=request.user, opportunity=opportunity, etag=if_match(request),
                                                            **fields)
        return self._respond(opportunity)

    @extend_schema(request=s.OpportunityMoveSerializer, responses={200: s.OpportunitySerializer, **ERRORS},
                   summary="Move an opportunity to another stage (lost needs a reason)")
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        opportunity = self.get_object()
        self._may_edit(opportunity)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with selling_errors():
            opportunity = sales_services.opportunity_move(
                actor=request.user, opportunity=opportunity, stage=data["stage"],
                lost_reason=data["lost_reason"], probability=data["probability"],
            )
        return self._respond(opportunity)


# --- quotes, contracts, orders, receivables (read) ----------------------------------------------

class StatusFilterMixin:
    def apply_filters(self, qs, data):
        qs = super().apply_filters(qs, data)
        return qs.filter(status=data["status"]) if data.get("status") else qs


QUOTE_WRITES = {"create": s.QuoteCreateSerializer, "partial_update": s.QuoteUpdateSerializer,
                "approve": s.QuoteApproveSerializer, "reject": s.QuoteRejectSerializer}


@extend_schema_view(
    list=extend_schema(summary="Quotes you may see"),
    retrieve=extend_schema(responses={200: s.QuoteSerializer, 404: ERRORS[404]}, summary="A quote with its lines"),
    create=extend_schema(request=s.QuoteCreateSerializer, responses={201: s.QuoteSerializer, **ERRORS},
                         summary="Write a draft quote with its lines for a customer whose sales data you may edit"),
    partial_update=extend_schema(request=s.QuoteUpdateSerializer, responses={200: s.QuoteSerializer, **ERRORS},
                                 summary="Change a draft or rejected quote (a rejected one becomes a draft again)"),
)
class QuoteViewSet(StatusFilterMixin, ScopedReadViewSet):
    """Writes (issue 14, apisell): the quote page's — create, edit, submit, approve / reject, mark
    sent / accepted — each through kehu.sales.services.quotes, which checks who may act (403)."""

    list_serializer = detail_serializer = s.QuoteSerializer
    filter_class = filters.QuoteFilter
    orderings = {**TIMES, "code": ["code"]}

    def scoped(self):
        lines = Prefetch("lines", queryset=QuoteLine.objects.select_related("product").order_by("id"))
        return Quote.objects.visible_to(self.request.user).select_related("customer", "owner", "decided_by").prefetch_related(lines)

    def get_serializer_class(self):
        return QUOTE_WRITES.get(self.action) or super().get_serializer_class()

    def _respond(self, quote, code=status.HTTP_200_OK):
        fresh = self.scoped().get(pk=quote.pk)
        return Response(s.QuoteSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _may_edit(self, quote):
        if not sales_services.can_edit_quote(self.request.user, quote):
            raise ApiPermissionDenied

    def _valid(self):
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def create(self, request):
        if not permissions.is_sales(request.user):
            raise ApiPermissionDenied  # finance never writes quotes
        data = self._valid()
        if not sales_services.can_create_quote(request.user, data["customer"]):
            raise ApiPermissionDenied
        with selling_errors():
            quote = sales_services.quote_create(
                actor=request.user, customer=data["customer"], lines=s.line_dicts(data["lines"]), currency=data["currency"],
                opportunity=data["opportunity"], valid_until=data["valid_until"], notes=data["notes"],
                payment_term_days=data.get("payment_term_days"),
            )
        return self._respond(quote, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        quote = self.get_object()
        self._may_edit(quote)
        data = self._valid()
        arguments = {"opportunity": data.get("opportunity", quote.opportunity), "valid_until": data.get("valid_until", quote.valid_until),
                     "notes": data.get("notes"), "lines": s.line_dicts(data["lines"]) if "lines" in data else None}
        if "payment_term_days" in data:
            arguments["payment_term_days"] = data["payment_term_days"]
        with selling_errors():
            quote = sales_services.quote_update(actor=request.user, quote=quote, **arguments)
        return self._respond(quote)

    @extend_schema(request=None, responses={200: s.QuoteSerializer, **ERRORS},
                   summary="Submit a draft or rejected quote: approved at once within the customer's policy, else pending for a manager")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        quote = self.get_object()
        self._may_edit(quote)
        with selling_errors():
            quote = sales_services.quote_submit(actor=request.user, quote=quote)
        return self._respond(quote)

    def _decide(self, *, approve: bool):
        quote = self.get_object()
        if not sales_services.can_decide_quote(self.request.user, quote):
            raise ApiPermissionDenied  # a rep, the owner, the one who submitted it, another team's manager
        data = self._valid()
        with selling_errors():
            quote = sales_services.quote_decide(actor=self.request.user, quote=quote, approve=approve, comment=data["comment"])
        return self._respond(quote)

    @extend_schema(request=s.QuoteApproveSerializer, responses={200: s.QuoteSerializer, **ERRORS},
                   summary="Approve a pending quote (a manager of the owner's team or an admin; never the owner nor the submitter)")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(approve=True)

    @extend_schema(request=s.QuoteRejectSerializer, responses={200: s.QuoteSerializer, **ERRORS},
                   summary="Reject a pending quote, saying why (who may approve it)")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(approve=False)

    def _move(self, service):
        quote = self.get_object()
        self._may_edit(quote)
        with selling_errors():
            quote = service(actor=self.request.user, quote=quote)
        return self._respond(quote)

    @extend_schema(request=None, responses={200: s.QuoteSerializer, **ERRORS}, summary="Mark an approved quote sent to the customer")
    @action(detail=True, methods=["post"], url_path="mark-sent")
    def mark_sent(self, request, pk=None):
        return self._move(sales_services.quote_mark_sent)

    @extend_schema(request=None, responses={200: s.QuoteSerializer, **ERRORS}, summary="Mark a sent quote accepted by the customer")
    @action(detail=True, methods=["post"], url_path="mark-accepted")
    def mark_accepted(self, request, pk=None):
        return self._move(sales_services.quote_mark_accepted)


@extend_schema_view(
    list=extend_schema(summary="Contracts you may see, with their payment plans"),
    retrieve=extend_schema(responses={200: s.ContractSerializer, 404: ERRORS[404]},
                           summary="A contract with its payment plan (instalments)"),
    create=extend_schema(request=s.ContractCreateSerializer, responses={201: s.ContractSerializer, **ERRORS},
                         summary="Write a contract with its payment plan, from an approved quote or a won opportunity"),
)
class ContractViewSet(ScopedReadViewSet):
    """Writes (issue 14, apisell): create with the plan, change the plan — the contract pages'
    (kehu.finance.services.contracts)."""

    list_serializer = detail_serializer = s.ContractSerializer
    orderings = {**TIMES, "signed_on": ["signed_on"], "code": ["code"]}

    def scoped(self):
        return finance_selectors.contract_list(user=self.request.user, with_plan=True).order_by("-signed_on", "-id")

    def get_serializer_class(self):
        return {"create": s.ContractCreateSerializer, "plan": s.PlanSerializer}.get(self.action) or super().get_serializer_class()

    def _respond(self, contract, code=status.HTTP_200_OK):
        fresh = self.scoped().get(pk=contract.pk)
        return Response(s.ContractSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request):
        if not permissions.is_sales(request.user):
            raise ApiPermissionDenied  # finance never writes contracts
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        arguments = s.contract_create_arguments(serializer.validated_data)
        if not can_create_contract(request.user, arguments["customer"]):
            raise ApiPermissionDenied
        with selling_errors():
            contract = finance_services.contract_create(actor=request.user, **arguments)
        return self._respond(contract, status.HTTP_201_CREATED)

    @extend_schema(request=s.PlanSerializer, responses={200: s.ContractSerializer, **ERRORS},
                   summary="Replace the payment plan (finance, admins, the managers of the owner's team); payments are applied again")
    @action(detail=True, methods=["put"])
    def plan(self, request, pk=None):
        contract = self.get_object()
        if not can_edit_plan(request.user, contract):
            raise ApiPermissionDenied
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with selling_errors():
            finance_services.contract_plan_set(actor=request.user, contract=contract, instalments=s.plan_rows(serializer.validated_data))
        return self._respond(contract)


ORDER_WRITES = {"create": s.OrderCreateSerializer, "ship": s.OrderShipSerializer, "release": s.OrderReleaseSerializer}


@extend_schema_view(
    list=extend_schema(summary="Sales orders you may see"),
    retrieve=extend_schema(responses={200: s.OrderSerializer, 404: ERRORS[404]}, summary="A sales order with its lines"),
    create=extend_schema(request=s.OrderCreateSerializer, responses={201: s.OrderResultSerializer, **ERRORS},
                         summary="Write a draft sales order with its lines (on a contract of the customer, or without)"),
)
class OrderViewSet(StatusFilterMixin, ScopedReadViewSet):
    """Writes (issue 14, apisell): the order pages' — create, confirm (credit control may hold it),
    ship, release a hold — through kehu.finance.services.orders."""

    list_serializer = detail_serializer = s.OrderSerializer
    pagination_class = CursorPagination
    filter_class = filters.OrderFilter
    orderings = {**TIMES, "order_date": ["order_date"], "code": ["code"]}

    def scoped(self):
        return finance_selectors.order_list(user=self.request.user, with_lines=True)

    def get_serializer_class(self):
        return ORDER_WRITES.get(self.action) or super().get_serializer_class()

    def _respond(self, order, code=status.HTTP_200_OK):
        fresh = self.scoped().get(pk=order.pk)
        return Response(s.OrderResultSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _valid(self):
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _may_edit(self, order):
        if not can_edit_order(self.request.user, order):
            raise ApiPermissionDenied

    def create(self, request):
        if not permissions.is_sales(request.user):
            raise ApiPermissionDenied  # finance never writes orders
        data = self._valid()
        if not can_create_order(request.user, data["customer"]):
            raise ApiPermissionDenied
        with selling_errors():
            order = finance_services.order_create(actor=request.user, customer=data["customer"], contract=data["contract"],
                                                  order_date=data["order_date"], currency=data["currency"],
                                                  lines=s.line_dicts(data["lines"]))
        return self._respond(order, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.OrderResultSerializer, **ERRORS},
                   summary="Confirm a draft order: credit control confirms it or holds it (status blocked, with credit_reasons)")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        order = self.get_object()
        self._may_edit(order)
        with selling_errors():
            order = finance_services.order_confirm(actor=request.user, order=order)
        return self._respond(order)

    @extend_schema(request=s.OrderShipSerializer, responses={200: s.OrderResultSerializer, **ERRORS},
                   summary="Ship a confirmed order (without a contract its receivable is issued)")
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        order = self.get_object()
        self._may_edit(order)
        data = self._valid()
        with selling_errors():
            order = finance_services.order_ship(actor=request.user, order=order, shipped_on=data["shipped_on"])
        return self._respond(order)

    @extend_schema(request=s.OrderReleaseSerializer, responses={200: s.OrderResultSerializer, **ERRORS},
                   summary="Release an order held by credit control, saying why (finance, admins, the managers of the owner's team)")
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        order = self.get_object()
        if not can_release_order(request.user, order):
            raise ApiPermissionDenied
        data = self._valid()
        with selling_errors():
            order = finance_services.order_release(actor=request.user, order=order, reason=data["reason"])
        return self._respond(order)


@extend_schema_view(
    list=extend_schema(summary="Receivables you may see"),
    retrieve=extend_schema(responses={200: s.ReceivableSerializer, 404: ERRORS[404]}),
)
class ReceivableViewSet(ScopedReadViewSet):
    list_serializer = detail_serializer = s.ReceivableSerializer
    pagination_class = CursorPagination
    filter_class = filters.ReceivableFilter
    orderings = {**TIMES, "due_on": ["due_on"], "issued_on": ["issued_on"]}

    def scoped(self):
        return finance_selectors.receivable_list(user=self.request.user).order_by("due_on", "id")

    def apply_filters(self, qs, data):
        qs = super().apply_filters(qs, data)
        return qs.filter(open_amount__gt=0) if data.get("open") == "1" else qs


# --- payments ------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Payments you may see"),
    retrieve=extend_schema(responses={200: s.PaymentSerializer, 404: ERRORS[404]}, summary="A payment and how it was applied"),
    create=extend_schema(request=s.PaymentCreateSerializer, responses={201: s.PaymentSerializer, **ERRORS},
                         summary="Record a payment and apply it (finance, managers, admins)"),
)
class PaymentViewSet(ScopedReadViewSet):
    list_serializer = detail_serializer = s.PaymentSerializer
    pagination_class = CursorPagination
    filter_class = filters.PaymentFilter
    orderings = {**TIMES, "paid_on": ["paid_on"]}

    def scoped(self):
        return finance_selectors.payment_list(user=self.request.user, with_allocations=True)

    def apply_filters(self, qs, data):
        qs = super().apply_filters(qs, data)
        return qs.filter(contract_id=data["contract"]) if data.get("contract") is not None else qs

    def get_serializer_class(self):
        if self.action == "create":
            return s.PaymentCreateSerializer
        if self.action == "reverse":
            return s.PaymentReverseSerializer
        return super().get_serializer_class()

    def create(self, request):
        if not can_record_any_payment(request.user):
            raise ApiPermissionDenied
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with selling_errors():  # PermissionDenied of the service (a manager, another team's customer): 403 by DRF
            payment = finance_services.payment_record(actor=request.user, **s.payment_arguments(serializer.validated_data))
        payment = self.scoped().get(pk=payment.pk)
        return Response(s.PaymentSerializer(payment, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PaymentReverseSerializer, responses={200: s.PaymentSerializer, **ERRORS},
                   summary="Reverse a payment recorded in error (红冲; finance and admins, with a reason)")
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payment = self.get_object()  # 404 for a payment the user may not see
        if not can_reverse_payment(request.user, payment):
            raise ApiPermissionDenied
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with selling_errors():
            finance_services.payment_reverse(actor=request.user, payment=payment, reason=serializer.validated_data["reason"])
        payment = self.scoped().get(pk=payment.pk)
        return Response(s.PaymentSerializer(payment, context=self.get_serializer_context()).data)

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from kehu.api.docs import api_docs_view
from kehu.api.selling import (
    ContractViewSet,
    OpportunityViewSet,
    OrderViewSet,
    PaymentViewSet,
    QuoteViewSet,
    ReceivableViewSet,
)
from kehu.api.views import ContactViewSet, CustomerViewSet

app_name = "api"

customer_list = CustomerViewSet.as_view({"get": "list", "post": "create"})
customer_detail = CustomerViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
customer_claim = CustomerViewSet.as_view({"post": "claim"})
customer_contacts = CustomerViewSet.as_view({"get": "contacts", "post": "contacts"})
contact_detail = ContactViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"})
READ = ({"get": "list"}, {"get": "retrieve"})

urlpatterns = [
    path("customers/", customer_list, name="customer-list"),
    path("customers/<int:pk>/", customer_detail, name="customer-detail"),
    path("customers/<int:pk>/claim/", customer_claim, name="customer-claim"),
    path("customers/<int:pk>/contacts/", customer_contacts, name="customer-contacts"),
    path("contacts/<int:pk>/", contact_detail, name="contact-detail"),
    # Selling: the segment before <pk> names the kind of record (the visibility walker reads it).
    path("opportunities/", OpportunityViewSet.as_view({"get": "list", "post": "create"}), name="opportunity-list"),
    path("opportunities/<int:pk>/", OpportunityViewSet.as_view({"get": "retrieve", "patch": "partial_update"}), name="opportunity-detail"),
    path("opportunities/<int:pk>/move/", OpportunityViewSet.as_view({"post": "move"}), name="opportunity-move"),
    path("quotes/", QuoteViewSet.as_view(READ[0]), name="quote-list"),
    path("quotes/<int:pk>/", QuoteViewSet.as_view(READ[1]), name="quote-detail"),
    path("contracts/", ContractViewSet.as_view(READ[0]), name="contract-list"),
    path("contracts/<int:pk>/", ContractViewSet.as_view(READ[1]), name="contract-detail"),
    path("orders/", OrderViewSet.as_view(READ[0]), name="order-list"),
    path("orders/<int:pk>/", OrderViewSet.as_view(READ[1]), name="order-detail"),
    path("receivables/", ReceivableViewSet.as_view(READ[0]), name="receivable-list"),
    path("receivables/<int:pk>/", ReceivableViewSet.as_view(READ[1]), name="receivable-detail"),
    path("payments/", PaymentViewSet.as_view({"get": "list", "post": "create"}), name="payment-list"),
    path("payments/<int:pk>/", PaymentViewSet.as_view(READ[1]), name="payment-detail"),
    path("payments/<int:pk>/reverse/", PaymentViewSet.as_view({"post": "reverse"}), name="payment-reverse"),
    # The schema, like everything under /api/, is for signed-in users.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    # issue 14 (apitok): the browsable documentation of the schema (Swagger UI, no CDN)
    path("docs/", api_docs_view, name="docs"),
]

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from kehu.api.views import ContactViewSet, CustomerViewSet

app_name = "api"

customer_list = CustomerViewSet.as_view({"get": "list", "post": "create"})
customer_detail = CustomerViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
customer_claim = CustomerViewSet.as_view({"post": "claim"})
customer_contacts = CustomerViewSet.as_view({"get": "contacts", "post": "contacts"})
contact_detail = ContactViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    path("customers/", customer_list, name="customer-list"),
    path("customers/<int:pk>/", customer_detail, name="customer-detail"),
    path("customers/<int:pk>/claim/", customer_claim, name="customer-claim"),
    path("customers/<int:pk>/contacts/", customer_contacts, name="customer-contacts"),
    path("contacts/<int:pk>/", contact_detail, name="contact-detail"),
    # The schema, like everything under /api/, is for signed-in users.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
]

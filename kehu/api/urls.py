from django.urls import path, register_converter
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


class RecordIdConverter:
    """A record's id in a URL (`<id:pk>`): any whole number, so that a negative or huge one answers
    the API's JSON 404 like a missing record (kehu.api.filters.record_id), not Django's HTML page."""

    regex = "-?[0-9]+"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(RecordIdConverter, "id")

customer_list = CustomerViewSet.as_view({"get": "list", "post": "create"})
customer_detail = CustomerViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
customer_claim = CustomerViewSet.as_view({"post": "claim"})
customer_contacts = CustomerViewSet.as_view({"get": "contacts", "post": "contacts"})
contact_detail = ContactViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"})
READ = ({"get": "list"}, {"get": "retrieve"})

urlpatterns = [
    path("customers/", customer_list, name="customer-list"),
    path("customers/<id:pk>/", customer_detail, name="customer-detail"),
    path("customers/<id:pk>/claim/", customer_claim, name="customer-claim"),
    path("customers/<id:pk>/contacts/", customer_contacts, name="customer-contacts"),
    path("contacts/<id:pk>/", contact_detail, name="contact-detail"),
    # Selling: the segment before <pk> names the kind of record (the visibility walker reads it).
    path("opportunities/", OpportunityViewSet.as_view({"get": "list", "post": "create"}), name="opportunity-list"),
    path("opportunities/<id:pk>/", OpportunityViewSet.as_view({"get": "retrieve", "patch": "partial_update"}), name="opportunity-detail"),
    path("opportunities/<id:pk>/move/", OpportunityViewSet.as_view({"post": "move"}), name="opportunity-move"),
    # issue 14 (apisell): quotes, contracts and orders are written too (their actions: the block at the end)
    path("quotes/", QuoteViewSet.as_view({"get": "list", "post": "create"}), name="quote-list"),
    path("quotes/<id:pk>/", QuoteViewSet.as_view({"get": "retrieve", "patch": "partial_update"}), name="quote-detail"),
    path("contracts/", ContractViewSet.as_view({"get": "list", "post": "create"}), name="contract-list"),
    path("contracts/<id:pk>/", ContractViewSet.as_view(READ[1]), name="contract-detail"),
    path("orders/", OrderViewSet.as_view({"get": "list", "post": "create"}), name="order-list"),
    path("orders/<id:pk>/", OrderViewSet.as_view(READ[1]), name="order-detail"),
    path("receivables/", ReceivableViewSet.as_view(READ[0]), name="receivable-list"),
    path("receivables/<id:pk>/", ReceivableViewSet.as_view(READ[1]), name="receivable-detail"),
    path("payments/", PaymentViewSet.as_view({"get": "list", "post": "create"}), name="payment-list"),
    path("payments/<id:pk>/", PaymentViewSet.as_view(READ[1]), name="payment-detail"),
    path("payments/<id:pk>/reverse/", PaymentViewSet.as_view({"post": "reverse"}), name="payment-reverse"),
    # The schema, like everything under /api/, is for signed-in users.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    # issue 14 (apitok): the browsable documentation of the schema (Swagger UI, no CDN)
    path("docs/", api_docs_view, name="docs"),
]

# issue 14 (apifin): receivables aging, commission, ranking runs, targets, forecasts, report figures
from kehu.api import finance as _apifin_finance  # noqa: E402
from kehu.api.planning import ForecastOpenPeriodsView as _ForecastOpenPeriodsView  # noqa: E402
from kehu.api.planning import ForecastRollupView as _ForecastRollupView  # noqa: E402
from kehu.api.planning import ForecastSubmitView as _ForecastSubmitView  # noqa: E402
from kehu.api.planning import ForecastViewSet as _ForecastViewSet  # noqa: E402
from kehu.api.planning import TargetViewSet as _TargetViewSet  # noqa: E402
from kehu.api.ranking import RunViewSet as _RunViewSet  # noqa: E402
from kehu.api.reports import FunnelView as _FunnelView  # noqa: E402
from kehu.api.reports import LeadSourcesView as _LeadSourcesView  # noqa: E402
from kehu.api.reports import RepActivityView as _RepActivityView  # noqa: E402
from kehu.api.reports import ShareOfWalletView as _ShareOfWalletView  # noqa: E402

urlpatterns += [
    path("aging/", _apifin_finance.AgingView.as_view(), name="aging"),
    path("commission/", _apifin_finance.CommissionView.as_view(), name="commission"),
    path("ranking-runs/", _RunViewSet.as_view({"get": "list", "post": "create"}), name="ranking-run-list"),
    path("ranking-runs/<id:pk>/", _RunViewSet.as_view({"get": "retrieve"}), name="ranking-run-detail"),
    path("ranking-runs/<id:pk>/results/", _RunViewSet.as_view({"get": "results"}), name="ranking-run-results"),
    path("targets/", _TargetViewSet.as_view({"get": "list", "post": "create"}), name="target-list"),
    path("targets/<id:pk>/", _TargetViewSet.as_view({"get": "retrieve"}), name="target-detail"),
    path("forecasts/", _ForecastViewSet.as_view({"get": "list"}), name="forecast-list"),
    path("forecasts/open-periods/", _ForecastOpenPeriodsView.as_view(), name="forecast-open-periods"),
    path("forecasts/submit/", _ForecastSubmitView.as_view(), name="forecast-submit"),
    path("forecasts/rollup/", _ForecastRollupView.as_view(), name="forecast-rollup"),
    path("forecasts/<id:pk>/", _ForecastViewSet.as_view({"get": "retrieve"}), name="forecast-detail"),
    path("reports/lead-sources/", _LeadSourcesView.as_view(), name="report-lead-sources"),
    path("reports/funnel/", _FunnelView.as_view(), name="report-funnel"),
    path("reports/rep-activity/", _RepActivityView.as_view(), name="report-rep-activity"),
    path("reports/share-of-wallet/", _ShareOfWalletView.as_view(), name="report-share-of-wallet"),
]

# --- issue 14 (apiact): follow-ups, notifications, customer operations, products, users, teams ----
from kehu.api.activities import ActivityViewSet, FollowUpViewSet, NotificationViewSet  # noqa: E402
from kehu.api.catalogue import ProductViewSet, TeamViewSet, UserViewSet  # noqa: E402
from kehu.api.customer_ops import CustomerOperationsViewSet, SpendViewSet  # noqa: E402
from kehu.api.handovers import HandoverHistoryViewSet  # noqa: E402

customer_op = CustomerOperationsViewSet.as_view
urlpatterns += [
    path("activities/", ActivityViewSet.as_view({"get": "list", "post": "create"}), name="activity-list"),
    path("activities/<id:pk>/", ActivityViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}), name="activity-detail"),
    path("followups/", FollowUpViewSet.as_view({"get": "list", "post": "create"}), name="followup-list"),
    path("followups/<id:pk>/", FollowUpViewSet.as_view({"get": "retrieve", "patch": "partial_update"}), name="followup-detail"),
    path("followups/<id:pk>/complete/", FollowUpViewSet.as_view({"post": "complete"}), name="followup-complete"),
    path("followups/<id:pk>/cancel/", FollowUpViewSet.as_view({"post": "cancel"}), name="followup-cancel"),
    path("notifications/", NotificationViewSet.as_view({"get": "list"}), name="notification-list"),
    path("notifications/read-all/", NotificationViewSet.as_view({"post": "read_all"}), name="notification-read-all"),
    path("notifications/<id:pk>/read/", NotificationViewSet.as_view({"post": "read"}), name="notification-read"),
    path("customers/<id:pk>/release/", customer_op({"post": "release"}), name="customer-release"),
    path("customers/<id:pk>/merge/", customer_op({"post": "merge"}), name="customer-merge"),
    path("customers/<id:pk>/qualification/", customer_op({"get": "qualification", "post": "qualification"}), name="customer-qualification"),
    path("customers/<id:pk>/archive/", customer_op({"get": "archive"}), name="customer-archive"),
    path("customers/<id:pk>/archive/spend/", customer_op({"post": "spend_create"}), name="customer-archive-spend"),
    path("archive/spend/<id:pk>/", SpendViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}), name="archive-spend-detail"),
    path("customers/<id:pk>/archive/<str:section>/", customer_op({"put": "archive_section"}), name="customer-archive-section"),
    # issue 14 (apisell): GET lists the handover history (kehu.api.handovers)
    path("handovers/", HandoverHistoryViewSet.as_view({"get": "list", "post": "create"}), name="handover-create"),
    path("products/", ProductViewSet.as_view({"get": "list"}), name="product-list"),
    path("products/<id:pk>/", ProductViewSet.as_view({"get": "retrieve"}), name="product-detail"),
    path("users/", UserViewSet.as_view({"get": "list"}), name="user-list"),
    path("users/<id:pk>/", UserViewSet.as_view({"get": "retrieve"}), name="user-detail"),
    path("teams/", TeamViewSet.as_view({"get": "list"}), name="team-list"),
    path("teams/<id:pk>/", TeamViewSet.as_view({"get": "retrieve"}), name="team-detail"),
]

# --- issue 14 (apisell): the selling writes — quote, contract and order actions -----------------
urlpatterns += [
    path("quotes/<id:pk>/submit/", QuoteViewSet.as_view({"post": "submit"}), name="quote-submit"),
    path("quotes/<id:pk>/approve/", QuoteViewSet.as_view({"post": "approve"}), name="quote-approve"),
    path("quotes/<id:pk>/reject/", QuoteViewSet.as_view({"post": "reject"}), name="quote-reject"),
    path("quotes/<id:pk>/mark-sent/", QuoteViewSet.as_view({"post": "mark_sent"}), name="quote-mark-sent"),
    path("quotes/<id:pk>/mark-accepted/", QuoteViewSet.as_view({"post": "mark_accepted"}), name="quote-mark-accepted"),
    path("contracts/<id:pk>/plan/", ContractViewSet.as_view({"put": "plan"}), name="contract-plan"),
    path("orders/<id:pk>/confirm/", OrderViewSet.as_view({"post": "confirm"}), name="order-confirm"),
    path("orders/<id:pk>/ship/", OrderViewSet.as_view({"post": "ship"}), name="order-ship"),
    path("orders/<id:pk>/release/", OrderViewSet.as_view({"post": "release"}), name="order-release"),
]

# --- issue 14 (apirest): the reports' remaining figures, the Friday review, forecast adjustment,
# ranking run comparison, webhook management (admin), deletions for incremental sync --------------
from kehu.api import rest as _apirest  # noqa: E402
from kehu.api.deletions import DeletionViewSet as _DeletionViewSet  # noqa: E402
from kehu.api.webhooks import DeliveryViewSet as _DeliveryViewSet  # noqa: E402
from kehu.api.webhooks import SubscriptionViewSet as _SubscriptionViewSet  # noqa: E402

urlpatterns += [
    path("reports/anomalies/", _apirest.AnomaliesView.as_view(), name="report-anomalies"),
    path("reports/factors/", _apirest.FactorsView.as_view(), name="report-factors"),
    path("reports/what-it-takes/", _apirest.WhatItTakesView.as_view(), name="report-what-it-takes"),
    path("forecasts/review/", _apirest.ReviewView.as_view(), name="forecast-review"),
    path("forecasts/<id:pk>/adjust/", _apirest.ForecastAdjustView.as_view(), name="forecast-adjust"),
    path("ranking-runs/<id:pk>/compare/", _apirest.RunCompareView.as_view(), name="ranking-run-compare"),
    path("webhooks/subscriptions/", _SubscriptionViewSet.as_view({"get": "list", "post": "create"}), name="webhook-list"),
    path("webhooks/subscriptions/<id:pk>/", _SubscriptionViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
         name="webhook-detail"),
    path("webhooks/subscriptions/<id:pk>/rotate-secret/", _SubscriptionViewSet.as_view({"post": "rotate_secret"}), name="webhook-rotate-secret"),
    path("webhooks/subscriptions/<id:pk>/deliveries/", _SubscriptionViewSet.as_view({"get": "deliveries"}), name="webhook-deliveries"),
    path("webhooks/deliveries/", _DeliveryViewSet.as_view({"get": "list"}), name="webhook-delivery-list"),
    path("webhooks/deliveries/<id:pk>/", _DeliveryViewSet.as_view({"get": "retrieve"}), name="webhook-delivery-detail"),
    path("webhooks/deliveries/<id:pk>/replay/", _DeliveryViewSet.as_view({"post": "replay"}), name="webhook-delivery-replay"),
    path("deletions/", _DeletionViewSet.as_view({"get": "list"}), name="deletion-list"),
]

"""Finance routes, under /finance/ (config/urls.py). A route about one record keeps its id
right after its kind ("contracts/<pk>/", "orders/<pk>/", "receivables/<pk>/", "customers/<pk>/")
so that the visibility walker knows what the <pk> names."""

from django.urls import path

from kehu.finance.views import commission, contracts, orders, payments, receivables

app_name = "finance"
urlpatterns: list = [
    # contracts and payment plans
    path("customers/<int:pk>/contracts/new/", contracts.contract_create_view, name="contract-create"),
    path("contracts/<int:pk>/", contracts.contract_detail_view, name="contract-detail"),
    path("contracts/<int:pk>/plan/", contracts.contract_plan_view, name="contract-plan"),
    # orders, shipments, credit holds
    path("customers/<int:pk>/orders/new/", orders.order_create_view, name="order-create"),
    path("orders/", orders.order_list_view, name="order-list"),
    path("orders/<int:pk>/", orders.order_detail_view, name="order-detail"),
    path("orders/<int:pk>/confirm/", orders.order_confirm_view, name="order-confirm"),
    path("orders/<int:pk>/ship/", orders.order_ship_view, name="order-ship"),
    path("orders/<int:pk>/release/", orders.order_release_view, name="order-release"),
    path("credit/holds/", orders.credit_holds_view, name="credit-holds"),
    # payments
    path("customers/<int:pk>/payments/new/", payments.payment_create_view, name="payment-create"),
    path("payments/", payments.payment_list_view, name="payment-list"),
    path("payments/<int:pk>/", payments.payment_detail_view, name="payment-detail"),
    path("payments/<int:pk>/reverse/", payments.payment_reverse_view, name="payment-reverse"),
    # receivables, write-offs
    path("receivables/", receivables.aging_view, name="aging"),
    path("receivables/export/", receivables.aging_export_view, name="aging-export"),
    path("receivables/<int:pk>/", receivables.receivable_detail_view, name="receivable-detail"),
    path("receivables/<int:pk>/write-off/", receivables.receivable_writeoff_view, name="receivable-writeoff"),
    # commission
    path("commission/", commission.commission_view, name="commission"),
]

"""Contracts, payment plans, orders, shipments and credit holds; included by kehu/finance/urls.py
under the "finance" namespace. A route about one record keeps its id right after its kind."""

from django.urls import path

from kehu.finance import views_orders as views

urlpatterns: list = [
    path("customers/<int:pk>/contracts/new/", views.contract_create_view, name="contract-create"),
    path("contracts/<int:pk>/", views.contract_detail_view, name="contract-detail"),
    path("contracts/<int:pk>/plan/", views.contract_plan_view, name="contract-plan"),
    path("customers/<int:pk>/orders/new/", views.order_create_view, name="order-create"),
    path("orders/", views.order_list_view, name="order-list"),
    path("orders/<int:pk>/", views.order_detail_view, name="order-detail"),
    path("orders/<int:pk>/confirm/", views.order_confirm_view, name="order-confirm"),
    path("orders/<int:pk>/ship/", views.order_ship_view, name="order-ship"),
    path("orders/<int:pk>/release/", views.order_release_view, name="order-release"),
    path("credit/holds/", views.credit_holds_view, name="credit-holds"),
]

"""Finance routes, under /finance/ (config/urls.py). A route about one record keeps its id
right after its kind ("contracts/<pk>/", "orders/<pk>/", "receivables/<pk>/", "customers/<pk>/")
so that the visibility walker knows what the <pk> names."""

from django.urls import include, path  # noqa: F401

from kehu.finance import views

app_name = "finance"
urlpatterns: list = [
    # contracts, payment plans, orders, shipments, credit holds (views_orders.py)
    path("", include("kehu.finance.urls_orders")),
    # payments, receivables aging, write-offs, commission (views.py)
    path("customers/<int:pk>/payments/new/", views.payment_create_view, name="payment-create"),
    path("payments/", views.payment_list_view, name="payment-list"),
    path("receivables/", views.aging_view, name="aging"),
    path("receivables/<int:pk>/", views.receivable_detail_view, name="receivable-detail"),
    path("receivables/<int:pk>/write-off/", views.receivable_writeoff_view, name="receivable-writeoff"),
    path("commission/", views.commission_view, name="commission"),
]

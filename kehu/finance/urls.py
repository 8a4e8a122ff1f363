"""Finance routes, under /finance/ (config/urls.py). A route about one record keeps its id
right after its kind ("contracts/<pk>/", "orders/<pk>/", "receivables/<pk>/", "customers/<pk>/")
so that the visibility walker knows what the <pk> names."""

from django.urls import include, path  # noqa: F401

app_name = "finance"
urlpatterns: list = [
    # contracts, payment plans, orders, shipments, credit holds (views_orders.py)
    path("", include("kehu.finance.urls_orders")),
]

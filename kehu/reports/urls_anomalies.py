from django.urls import path

from kehu.reports.views.placeholder import placeholder_view

urlpatterns = [
    path("anomalies/", placeholder_view, name="anomalies"),
    path("anomalies/export/", placeholder_view, name="anomalies-export"),
    path("wallet/", placeholder_view, name="wallet"),
    path("wallet/export/", placeholder_view, name="wallet-export"),
]

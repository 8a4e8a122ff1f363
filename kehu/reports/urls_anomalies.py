from django.urls import path

from kehu.reports.views.anomalies import anomalies, anomalies_export
from kehu.reports.views.placeholder import placeholder_view

urlpatterns = [
    path("anomalies/", anomalies, name="anomalies"),
    path("anomalies/export/", anomalies_export, name="anomalies-export"),
    path("wallet/", placeholder_view, name="wallet"),
    path("wallet/export/", placeholder_view, name="wallet-export"),
]

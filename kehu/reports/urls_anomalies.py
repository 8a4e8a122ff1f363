from django.urls import path

from kehu.reports.views import wallet
from kehu.reports.views.placeholder import placeholder_view

urlpatterns = [
    path("anomalies/", placeholder_view, name="anomalies"),
    path("anomalies/export/", placeholder_view, name="anomalies-export"),
    path("wallet/", wallet.wallet_view, name="wallet"),
    path("wallet/export/", wallet.wallet_export_view, name="wallet-export"),
]

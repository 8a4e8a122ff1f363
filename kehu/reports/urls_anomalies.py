from django.urls import path

from kehu.reports.views import wallet
from kehu.reports.views.anomalies import anomalies, anomalies_export

urlpatterns = [
    path("anomalies/", anomalies, name="anomalies"),
    path("anomalies/export/", anomalies_export, name="anomalies-export"),
    path("wallet/", wallet.wallet_view, name="wallet"),
    path("wallet/export/", wallet.wallet_export_view, name="wallet-export"),
]

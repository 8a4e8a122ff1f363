"""The reports app's pages, mounted at the site's root: /workbench/ (the landing page of each role),
/search/ (the top bar's search), /reports/<report>/ (each report and its XLSX export)."""

from django.urls import include, path

app_name = "reports"

urlpatterns = [
    path("", include("kehu.reports.urls_workbench")),
    path("reports/", include("kehu.reports.urls_funnel")),
    path("reports/", include("kehu.reports.urls_activity")),
    path("reports/", include("kehu.reports.urls_anomalies")),
    path("reports/", include("kehu.reports.urls_factors")),
]

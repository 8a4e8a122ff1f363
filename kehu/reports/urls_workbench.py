from django.urls import path

from kehu.reports.views.search import search_view
from kehu.reports.views.workbench import workbench_anomalies_view, workbench_view

urlpatterns = [
    path("workbench/", workbench_view, name="workbench"),
    path("workbench/anomalies/", workbench_anomalies_view, name="workbench-anomalies"),
    path("search/", search_view, name="search"),
]

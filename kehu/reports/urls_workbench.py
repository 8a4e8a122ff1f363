from django.urls import path

from kehu.reports.views.search import search_view
from kehu.reports.views.workbench import workbench_view

urlpatterns = [
    path("workbench/", workbench_view, name="workbench"),
    path("search/", search_view, name="search"),
]

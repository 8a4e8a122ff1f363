from django.urls import path

from kehu.reports.views.placeholder import placeholder_view

urlpatterns = [
    path("workbench/", placeholder_view, name="workbench"),
    path("search/", placeholder_view, name="search"),
]

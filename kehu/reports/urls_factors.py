from django.urls import path

from kehu.reports.views.placeholder import placeholder_view

urlpatterns = [
    path("factors/", placeholder_view, name="factors"),
    path("factors/export/", placeholder_view, name="factors-export"),
]

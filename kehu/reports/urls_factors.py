from django.urls import path

from kehu.reports.views.factors import factors_export, factors_view

urlpatterns = [
    path("factors/", factors_view, name="factors"),
    path("factors/export/", factors_export, name="factors-export"),
]

"""/planning/ pages: targets, attainment, targets.csv."""

from django.urls import path

from kehu.planning.views import targets

urlpatterns: list = [
    path("targets/", targets.targets_view, name="targets"),
    path("targets/export/", targets.target_export_view, name="target-export"),
    path("attainment/", targets.attainment_view, name="attainment"),
]

"""Routes of /ranking/ (see kehu/ranking/urls.py): the reports, the runs and their exports."""

from django.urls import path

from kehu.ranking.views import reports, runs

urlpatterns = [
    path("", reports.pyramid, name="pyramid"),
    path("export/", reports.pyramid_export, name="pyramid-export"),
    path("value/", reports.value, name="value"),
    path("value/export/", reports.value_export, name="value-export"),
    path("key-accounts/", reports.key_accounts, name="key-accounts"),
    path("key-accounts/export/", reports.key_accounts_export, name="key-accounts-export"),
    path("runs/", runs.run_list, name="run-list"),
    path("runs/new/", runs.run_create, name="run-create"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/export/", runs.run_export, name="run-export"),
    path("runs/<int:pk>/compare/", runs.run_compare, name="run-compare"),
    path("runs/<int:pk>/compare/export/", runs.run_compare_export, name="run-compare-export"),
]

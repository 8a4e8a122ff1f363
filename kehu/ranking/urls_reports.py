"""Routes of /ranking/ (see kehu/ranking/urls.py): the reports, the runs and their exports."""

from django.urls import path

from kehu.ranking import views_reports as views

urlpatterns = [
    path("", views.pyramid, name="pyramid"),
    path("export/", views.pyramid_export, name="pyramid-export"),
    path("value/", views.value, name="value"),
    path("value/export/", views.value_export, name="value-export"),
    path("key-accounts/", views.key_accounts, name="key-accounts"),
    path("key-accounts/export/", views.key_accounts_export, name="key-accounts-export"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/new/", views.run_create, name="run-create"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/export/", views.run_export, name="run-export"),
    path("runs/<int:pk>/compare/", views.run_compare, name="run-compare"),
    path("runs/<int:pk>/compare/export/", views.run_compare_export, name="run-compare-export"),
]

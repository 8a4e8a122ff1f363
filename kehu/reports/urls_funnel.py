from django.urls import path

from kehu.reports.views.placeholder import placeholder_view

urlpatterns = [
    path("funnel/", placeholder_view, name="funnel"),
    path("funnel/export/", placeholder_view, name="funnel-export"),
    path("sources/", placeholder_view, name="sources"),
    path("sources/export/", placeholder_view, name="sources-export"),
]

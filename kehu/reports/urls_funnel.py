from django.urls import path

from kehu.reports.views.funnel import funnel_export_view, funnel_view
from kehu.reports.views.sources import sources_export_view, sources_view

urlpatterns = [
    path("funnel/", funnel_view, name="funnel"),
    path("funnel/export/", funnel_export_view, name="funnel-export"),
    path("sources/", sources_view, name="sources"),
    path("sources/export/", sources_export_view, name="sources-export"),
]

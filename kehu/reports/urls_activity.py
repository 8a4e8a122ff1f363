from django.urls import path

from kehu.reports.views.placeholder import placeholder_view

urlpatterns = [
    path("activity/", placeholder_view, name="activity"),
    path("activity/export/", placeholder_view, name="activity-export"),
    path("what-it-takes/", placeholder_view, name="what-it-takes"),
]

from django.urls import path

from kehu.reports.views import activity, what_it_takes

urlpatterns = [
    path("activity/", activity.activity_view, name="activity"),
    path("activity/export/", activity.activity_export_view, name="activity-export"),
    path("what-it-takes/", what_it_takes.what_it_takes_view, name="what-it-takes"),
]

"""Routes of /jobs/: the background jobs' pages (kehu.core.views_jobs)."""

from django.urls import path

from kehu.core import views_jobs

app_name = "jobs"
urlpatterns = [
    path("", views_jobs.job_list, name="list"),
    path("<int:pk>/", views_jobs.job_detail, name="detail"),
    path("<int:pk>/download/", views_jobs.job_download, name="download"),
    path("<int:pk>/again/", views_jobs.job_run_again, name="again"),
]

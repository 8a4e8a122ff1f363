"""Routes of /ranking/ (see kehu/ranking/urls.py)."""

from django.urls import path

from kehu.ranking.views import policies as views_policies

urlpatterns = [
    path("policies/", views_policies.policies_view, name="policies"),
]

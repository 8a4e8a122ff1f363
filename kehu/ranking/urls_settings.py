"""Routes of /ranking/ (see kehu/ranking/urls.py): the scoring settings (admin only)."""

from django.urls import path

from kehu.ranking.views import settings as views_settings

urlpatterns = [
    path("settings/", views_settings.settings_view, name="settings"),
    path("settings/reset/", views_settings.settings_reset_view, name="settings-reset"),
]

"""/planning/ pages: forecast."""

from django.urls import path

from kehu.planning.views import forecast

urlpatterns: list = [
    path("forecast/", forecast.forecast_view, name="forecast"),
    path("forecast/lines/<int:pk>/save/", forecast.forecast_line_view, name="forecast-line"),
    path("forecast/submit/", forecast.forecast_submit_view, name="forecast-submit"),
    path("forecast/history/", forecast.forecast_history_view, name="forecast-history"),
    path("forecast/submissions/<int:pk>/", forecast.submission_detail_view, name="submission-detail"),
    path("forecast/settings/", forecast.planning_settings_view, name="settings"),
]

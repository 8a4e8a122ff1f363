"""/planning/: targets and attainment (urls_targets), the weekly forecast and the roll-up
(urls_forecast), the Friday review (urls_review), forecast accuracy (urls_accuracy)."""

from kehu.planning import urls_accuracy, urls_forecast, urls_review, urls_targets

app_name = "planning"

urlpatterns = [*urls_targets.urlpatterns, *urls_forecast.urlpatterns, *urls_review.urlpatterns, *urls_accuracy.urlpatterns]

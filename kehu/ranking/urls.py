"""/ranking/: the reports (urls_reports), the scoring settings (urls_settings) and the tier
policies (urls_policies)."""

from kehu.ranking import urls_policies, urls_reports, urls_settings

app_name = "ranking"

urlpatterns = [*urls_reports.urlpatterns, *urls_settings.urlpatterns, *urls_policies.urlpatterns]

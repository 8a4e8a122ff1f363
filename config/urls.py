from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

urlpatterns = [
    path("", lambda request: redirect("reports:workbench"), name="home"),
    path("accounts/", include("kehu.accounts.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("activities/", include("kehu.activities.urls")),
    path("dataset/", include("kehu.dataset.urls")),
    path("sales/", include("kehu.sales.urls")),
    path("finance/", include("kehu.finance.urls")),
    path("ranking/", include("kehu.ranking.urls")),
    path("planning/", include("kehu.planning.urls")),
    path("api/", include("kehu.api.urls")),
    # Webhooks (issue 14, task `hooks`): admin-only pages.
    path("integrations/", include("kehu.integrations.urls")),
    # Background jobs (issue 15, task `bgjobs`): each user's own jobs.
    path("jobs/", include("kehu.core.urls_jobs")),
    path("", include("kehu.reports.urls")),
    path("admin/", admin.site.urls),
    # Pages without Kehu's layout (the admin, the browsable API) make browsers ask for this.
    path("favicon.ico", lambda request: redirect(static("kehu/favicon.svg"), permanent=True), name="favicon"),
]

# apischema (issue 14): a missing URL under /api/ answers the API's JSON error (kehu.api.errors),
# anywhere else Kehu's page.
handler404 = "kehu.api.errors.page_not_found"

"""The forecast grid in a real browser (Debian's Chromium, see kehu/customers/tests/test_browser.py):
the totals follow what the rep types (static/kehu/forecast-grid.js), a line saved with htmx
comes back with the server's totals and the pre-fill follows, the rep submits. Chinese and
English."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import seed_flushed_defaults
from kehu.customers.tests.test_browser import SHOTS, _login, browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_rep_updates_a_line_sees_the_totals_and_submits(browser, live_server, rep_a, customer_a):  # noqa: F811
    from playwright.sync_api import expect

    from kehu.planning.models import ForecastSubmission
    from kehu.planning.periods import forecast_periods
    from kehu.sales.models import Opportunity, OpportunityStage
    from kehu.sales.services import opportunity_create

    seed_flushed_defaults()
    month = forecast_periods(timezone.localdate())[0]
    opp = opportunity_create(actor=rep_a, customer=customer_a, title="ERP rollout", amount="1000.00",
                             stage=OpportunityStage.objects.get(code="needs_confirmed"), expected_close_on=None, forecast_category="pipeline")
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = f"{live_server.url}{reverse('planning:forecast')}"
    for language, amount in (("zh-hans", "2500.50"), ("en", "3000.00")):
        rep_a.language = language
        rep_a.save(update_fields=["language"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, live_server.url, "rep_a")
        page.wait_for_url(lambda u: "/accounts/login/" not in u)
        page.goto(url)
        row = page.locator(f"#line-{opp.pk}")
        row.locator("select[name=forecast_category]").select_option("commit")
        row.locator("input[name=amount]").fill(amount)
        expect(row.locator(f"[data-testid=save-{opp.code}]")).to_have_class(re.compile(r"(^| )btn-primary( |$)"))  # unsaved: lit
        row.locator("input[name=expected_close_on]").fill("")
        expect(page.get_by_test_id("total-commit")).to_have_text("¥0.00")  # no close date: does not count
        row.locator("input[name=expected_close_on]").fill((month.start + timedelta(days=3)).isoformat())
        shown = f"¥{Decimal(amount):,}"
        expect(page.get_by_test_id("total-commit")).to_have_text(shown)  # as they type
        row.locator(f"[data-testid=save-{opp.code}]").click()
        expect(page.get_by_test_id(f"saved-{opp.code}")).to_be_visible()
        expect(page.get_by_test_id("total-commit")).to_have_text(shown)  # the server's
        expect(page.locator(f"input[data-prefill-for='{month.label}'][data-prefill-index='0']")).to_have_value(amount)
        page.screenshot(path=str(SHOTS / f"planning-forecast-grid-{language}.png"), full_page=True)
        page.get_by_test_id("submit-button").click()
        expect(page.get_by_test_id("week-status").locator(".text-bg-success")).to_be_visible()
        assert errors == []
        page.close()
    saved = Opportunity.objects.get(pk=opp.pk)
    assert (saved.amount, saved.forecast_category) == (Decimal("3000.00"), "commit")
    latest = ForecastSubmission.objects.filter(user=rep_a, period=month.label).order_by("-id").first()
    assert latest.commit == Decimal("3000.00") and ForecastSubmission.objects.filter(user=rep_a).count() == 8

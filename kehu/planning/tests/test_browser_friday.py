"""The director's Friday review, end to end in a real browser (Debian's Chromium, see
kehu/customers/tests/test_browser.py), in Chinese and English (issue 11, "Done means"): the
director sets a rep's target by last year's shape; the rep submits the week's forecast; the
manager adjusts the rep's number with a note; the director's review shows target, won, commit,
gap and the waterfall."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import seed_flushed_defaults
from kehu.customers.tests.test_browser import SHOTS, _login, browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.browser


def _page(browser, live_server, user):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, live_server.url, user.username)
    page.wait_for_url(lambda u: "/accounts/login/" not in u)
    return page, errors


@pytest.mark.django_db(transaction=True)
def test_director_sets_targets_rep_submits_manager_adjusts_director_reviews(browser, live_server, admin, manager_a, rep_a, customer_a):  # noqa: F811
    from playwright.sync_api import expect

    from kehu.planning.models import ForecastAdjustment, ForecastSubmission, Target
    from kehu.planning.periods import period_of
    from kehu.sales.models import Opportunity, OpportunityStage
    from kehu.sales.services import opportunity_create

    seed_flushed_defaults()
    today = timezone.localdate()
    year, month = today.year, period_of("month", today)
    won = OpportunityStage.objects.get(code="won")
    # Last year: rep_a won in March only — the shape puts the whole year's target in March.
    Opportunity.objects.create(code="OLY1", customer=customer_a, owner=rep_a, title="去年三月", stage=won, amount=Decimal("50000.00"),
                               closed_on=date(year - 1, 3, 15), forecast_category="closed")
    opportunity_create(actor=rep_a, customer=customer_a, title="年底大单", amount="80000.00",
                       stage=OpportunityStage.objects.get(code="negotiation"), expected_close_on=month.end, forecast_category="commit")
    SHOTS.mkdir(parents=True, exist_ok=True)

    for language, amount in (("zh-hans", "120000.00"), ("en", "240000.00")):
        for user in (admin, manager_a, rep_a):
            user.language = language
            user.save(update_fields=["language"])

        # 1. The director spreads the rep's annual target by last year's shape.
        page, errors = _page(browser, live_server, admin)
        page.goto(f"{live_server.url}{reverse('planning:targets')}?year={year}")
        row = page.get_by_test_id(f"row-user-{rep_a.pk}")
        row.locator("summary").click()
        spread = page.get_by_test_id(f"spread-user-{rep_a.pk}")
        spread.locator("input[name=amount]").fill(amount)
        spread.locator("select[name=how]").select_option("last_year")
        spread.locator("button").click()
        page.wait_for_load_state()
        target = Target.objects.get(scope="user", user=rep_a, year=year, measure="won")
        assert target.amount == Decimal(amount)
        assert [Decimal(w or 0) for w in target.weights][2] > 0 and sum(Decimal(w or 0) for w in target.weights) == Decimal(target.weights[2])
        page.screenshot(path=str(SHOTS / f"planning-targets-{language}.png"), full_page=True)
        assert errors == []
        page.close()

        # 2. The rep submits this week's forecast, pre-filled from the commit category.
        page, errors = _page(browser, live_server, rep_a)
        page.goto(f"{live_server.url}{reverse('planning:forecast')}")
        expect(page.get_by_test_id("total-commit")).to_have_text("¥80,000.00")
        page.get_by_test_id("submit-button").click()
        expect(page.get_by_test_id("week-status").locator(".text-bg-success")).to_be_visible()
        assert errors == []
        page.close()
        latest = ForecastSubmission.objects.filter(user=rep_a, period=month.label).order_by("-id").first()
        assert latest.commit == Decimal("80000.00") and latest.submitted_on == today

        # 3. The manager adjusts the rep's number with a note: beside it, never over it.
        page, errors = _page(browser, live_server, manager_a)
        page.goto(f"{live_server.url}{reverse('planning:rollup')}?period={month.label}")
        rep_row = page.get_by_test_id(f"rep-{rep_a.username}")
        rep_row.locator("summary").click()
        form = rep_row.get_by_test_id("adjust-form")
        form.locator("input[name=commit]").fill("60000")
        form.locator("input[name=note]").fill("客户预算未批，保守估计" if language == "zh-hans" else "Budget not approved yet")
        form.locator("button").click()
        expect(page.get_by_test_id(f"rep-{rep_a.username}").get_by_test_id("adjustment")).to_contain_text("60,000.00")
        expect(page.get_by_test_id(f"rep-{rep_a.username}").get_by_test_id("commit")).to_have_text("¥80,000.00")
        page.screenshot(path=str(SHOTS / f"planning-rollup-{language}.png"), full_page=True)
        assert errors == []
        page.close()
        assert ForecastAdjustment.objects.filter(submission=latest, commit=Decimal("60000.00")).exists()
        assert ForecastSubmission.objects.get(pk=latest.pk).commit == Decimal("80000.00")

        # 4. The director's Friday review: target, won, commit (adjusted), gap, the waterfall.
        page, errors = _page(browser, live_server, admin)
        page.goto(f"{live_server.url}{reverse('planning:review')}?period={month.label}&since={(today - timedelta(days=7)).isoformat()}")
        expect(page.get_by_test_id("kpi-commit")).to_contain_text("60,000.00")
        expect(page.get_by_test_id("kpi-gap")).to_be_visible()
        expect(page.get_by_test_id("wf-new")).to_contain_text("80,000.00")  # the deal created this week
        expect(page.locator("[data-testid=waterfall-chart] canvas")).to_have_count(1)  # ECharts drew the chart
        page.screenshot(path=str(SHOTS / f"planning-review-{language}.png"), full_page=True)
        assert errors == []
        page.close()

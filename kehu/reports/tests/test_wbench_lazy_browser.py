"""The 工作台's anomalies in a real browser: the page loads, then htmx replaces the placeholder
with the card (the manager's) and the alert (the director's)."""

import pytest

from conftest import seed_flushed_defaults
from kehu.customers.tests.test_browser import SHOTS, _login, browser  # noqa: F401 (the fixture)
from kehu.reports.tests.test_workbench import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(transactional_db):
    """The stages and checklist an earlier transactional test flushed, back before the world is made."""
    seed_flushed_defaults()


@pytest.mark.django_db(transaction=True)
def test_the_anomalies_load_after_the_page(browser, live_server, seeded, world):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _login(page, live_server.url, "manager_a")
    page.wait_for_url("**/workbench/")
    page.wait_for_selector(f"[data-testid=wb-anomaly-{world['rep_a'].pk}]")
    assert page.locator("[data-testid=wb-anomalies-lazy]").count() == 0
    assert page.locator("[data-testid=wb-anomalies]").count() == 1
    page.screenshot(path=str(SHOTS / "wbench-workbench-manager.png"), full_page=True)
    page.context.clear_cookies()
    _login(page, live_server.url, "admin")
    page.wait_for_url("**/workbench/")
    page.wait_for_selector("[data-testid=wb-alert-anomalies] ul.small")
    assert "rep_a" in page.locator("[data-testid=wb-alert-anomalies]").inner_text()

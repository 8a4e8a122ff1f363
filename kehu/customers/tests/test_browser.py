"""One whole user path in a real browser: log in, find by pinyin initials, create (caught as a
duplicate first), switch language. Playwright drives Debian's Chromium (never a downloaded one).

Skipped when /usr/bin/chromium is missing, unless KEHU_REQUIRE_BROWSER=1 (CI sets it), in
which case a missing browser fails the run.
"""

import os
import shutil
from pathlib import Path

import pytest

from conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("KEHU_SCREENSHOTS", Path(__file__).resolve().parents[3] / "test-results"))

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("KEHU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's async-safety guard is lifted for the test.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        # The test's own ORM calls ran on a connection of this thread; close it before the
        # test database is dropped (PostgreSQL refuses to drop a database in use).
        from django.db import connections

        connections.close_all()
        instance.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_rep_logs_in_finds_by_pinyin_and_creates_a_customer(browser, live_server, cast):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, live_server.url, "rep_a")

    # Log-in lands on the 工作台; the customer list is one click away.
    page.wait_for_url("**/workbench/")
    page.wait_for_selector("[data-testid=wb-rep]")
    page.goto(f"{live_server.url}/customers/")

    # The UI is Chinese by default.
    page.wait_for_selector("[data-testid=customer-table]")
    assert "客户" in page.inner_text("nav")
    assert page.get_attribute("html", "lang") == "zh-hans"

    # Pinyin initials find 华为技术有限公司 (htmx refreshes only the table).
    page.fill("[data-testid=search]", "hwjs")
    page.wait_for_function("document.querySelector('[data-testid=customer-table]').innerText.includes('华为技术有限公司')")
    table = page.inner_text("[data-testid=customer-table]")
    assert "华为技术有限公司" in table
    assert "远设建材有限公司" not in table  # rep_a2's customer, invisible to rep_a
    page.screenshot(path=str(SHOTS / "browser-search-zh.png"), full_page=True)

    # Creating the same company again is caught as a duplicate.
    page.click("[data-testid=new-customer]")
    page.fill("#id_name", "华为技术有限公司")
    page.fill("#id_phone", "0755-28780808")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=duplicates]")
    assert "C00001" in page.inner_text("[data-testid=duplicates]")
    page.screenshot(path=str(SHOTS / "browser-duplicate-zh.png"), full_page=True)

    # A genuinely new customer is created and opens on its own page.
    page.fill("#id_name", "鹏城精密制造有限公司")
    page.fill("#id_phone", "0755-86001234")
    page.click("[data-testid=save]")
    page.wait_for_url("**/customers/*/")
    assert "鹏城精密制造有限公司" in page.inner_text("main")

    from kehu.customers.models import Customer

    created = Customer.objects.get(name="鹏城精密制造有限公司")
    assert created.owner_id == cast["rep_a"].id
    assert page.url.endswith(f"/customers/{created.pk}/")

    # Switch to English: the choice sticks to the user.
    page.click("[data-testid=lang-en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert "Customers" in page.inner_text("nav")
    page.goto(f"{live_server.url}/customers/")
    assert "New customer" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "browser-list-en.png"), full_page=True)
    page.close()

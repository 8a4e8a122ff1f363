"""Issue 14 in a real browser: /api/docs/ renders Swagger UI from our own files under the
Content-Security-Policy (no violation, no request to another host), and "Try it out" lists the
rep's customers with the session; the settings page makes a token that then reads the API."""

import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from kehu.customers.tests.test_browser import SHOTS, _login, browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.browser


def _watch(page, base):
    """Console errors (a CSP refusal is one) and requests to other hosts, as they happen."""
    seen = {"errors": [], "foreign": []}
    host = urlparse(base).netloc
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["foreign"].append(r.url) if urlparse(r.url).netloc not in (host, "") and not r.url.startswith("data:") else None)
    return seen


@pytest.mark.django_db(transaction=True)
def test_api_docs_render_under_the_policy_and_try_it_out_works(browser, live_server, cast):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = _watch(page, live_server.url)
    _login(page, live_server.url, "rep_a")
    page.goto(f"{live_server.url}{reverse('api:docs')}")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert "API 文档" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "api-docs.png"), full_page=False)
    # Try it out: GET /api/customers/ with the session.
    block = page.locator("#operations-customers-customers_list")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    page.wait_for_selector("#operations-customers-customers_list .live-responses-table .response-col_status", timeout=30_000)
    body = block.locator(".live-responses-table").inner_text()
    assert "200" in body and "C00001" in body and "C00003" not in body
    assert not [e for e in seen["errors"] if "Content Security Policy" in e or "Refused" in e], seen["errors"]
    assert seen["foreign"] == []


@pytest.mark.django_db(transaction=True)
def test_rep_makes_a_token_on_the_settings_page(browser, live_server, cast):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = _watch(page, live_server.url)
    _login(page, live_server.url, "rep_a")
    page.goto(f"{live_server.url}{reverse('accounts:me')}")
    page.fill("#id_name", "浏览器令牌")
    page.click("label[for=id_scope_0]")
    page.click("[data-testid=token-form] button[type=submit]")
    raw = page.input_value("#new-token-value")
    assert re.fullmatch(r"kehu_[\w-]{43}", raw)
    page.screenshot(path=str(SHOTS / "api-token-made.png"), full_page=True)
    response = page.request.get(f"{live_server.url}/api/customers/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status == 200 and "C00001" in response.text()
    assert not [e for e in seen["errors"] if "Content Security Policy" in e or "Refused" in e], seen["errors"]

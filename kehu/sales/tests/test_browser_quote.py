"""The quote form in a real browser (Debian's Chromium, see kehu/customers/tests/test_browser.py):
picking a product fills its list price in as the unit price (static/kehu/line-totals.js, no
inline script), a price the rep typed stays, the customer's policy is shown before submitting
and a discount above it is marked. Screenshots in Chinese and English."""

from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import seed_flushed_defaults
from kehu.customers.tests.test_browser import SHOTS, _login, browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_rep_picks_products_and_sees_prices_and_the_policy_on_the_quote_form(browser, live_server, rep_a, customer_a):  # noqa: F811
    from playwright.sync_api import expect

    from kehu.core.models import CompanySettings
    from kehu.sales.models import Product, Quote

    seed_flushed_defaults()
    settings = CompanySettings.load()
    settings.default_max_discount_pct = Decimal("5.00")
    settings.default_payment_term_days = 30
    settings.save()
    router = Product.objects.create(code="P-100", name="Industrial router", list_price=Decimal("1200.00"), unit_cost=Decimal("700"))
    switch = Product.objects.create(code="P-200", name="Edge switch", list_price=Decimal("333.3333"), unit_cost=Decimal("100"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = f"{live_server.url}{reverse('sales:quote-create', args=[customer_a.pk])}"

    for language in ("zh-hans", "en"):
        rep_a.language = language
        rep_a.save(update_fields=["language"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, live_server.url, "rep_a")
        page.wait_for_url(lambda u: "/accounts/login/" not in u)
        page.goto(url)
        expect(page.get_by_test_id("policy")).to_contain_text("5")
        expect(page.get_by_test_id("policy")).to_contain_text("30")

        price = page.locator("#id_lines-0-unit_price")
        expect(price).to_have_value("")
        page.select_option("#id_lines-0-product", value=str(router.pk))
        expect(price).to_have_value("1200.0000")  # filled in from the product picked
        page.select_option("#id_lines-0-product", value=str(switch.pk))
        expect(price).to_have_value("333.3333")  # still the filled-in price: follows the product
        page.fill("#id_lines-0-quantity", "3")
        expect(page.locator("#quote-form .kehu-line-total").first).to_have_text("1,000.00")
        price.fill("300")
        page.select_option("#id_lines-0-product", value=str(router.pk))
        expect(price).to_have_value("300")  # a price the rep typed stays
        discount = page.locator("#id_lines-0-discount_pct")
        discount.fill("8")
        assert "border-warning" in (discount.get_attribute("class") or "")
        page.select_option("#id_lines-1-product", value=str(switch.pk))
        expect(page.locator("#id_lines-1-unit_price")).to_have_value("333.3333")
        page.screenshot(path=str(SHOTS / f"sales-quote-form-{language}.png"), full_page=True)
        assert errors == []
        page.close()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, live_server.url, "rep_a")
    page.wait_for_url(lambda u: "/accounts/login/" not in u)
    page.goto(url)
    page.select_option("#id_lines-0-product", value=str(router.pk))
    page.fill("#id_lines-0-quantity", "2")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/sales/quotes/*/")
    line = Quote.objects.get(customer=customer_a).lines.get()
    assert line.unit_price == Decimal("1200.0000") and line.revenue == Decimal("2400.00")

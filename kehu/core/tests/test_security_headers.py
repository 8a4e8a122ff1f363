"""Security headers on every response (issue 10, item 10): a Content-Security-Policy that allows
only Kehu's own files (no inline script), a Permissions-Policy that switches off device APIs,
and `Cache-Control: no-store` on what a signed-in user sees and on the API."""

import pytest
from django.templatetags.static import static
from django.urls import reverse


def _csp(response):
    return {
        part.split()[0]: part.split()[1:]
        for part in (p.strip() for p in response.headers["Content-Security-Policy"].split(";"))
        if part
    }


def _assert_csp_and_permissions(response):
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]  # no inline <style> element either
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


def _no_store(response):
    return "no-store" in response.headers.get("Cache-Control", "")


def test_rep_a_signed_in_page_has_the_csp_the_permissions_policy_and_is_not_stored(login, rep_a):
    response = login(rep_a).get(reverse("customers:list"))
    assert response.status_code == 200
    _assert_csp_and_permissions(response)
    assert _no_store(response)


def test_rep_a_htmx_fragment_is_not_stored_either(login, rep_a):
    response = login(rep_a).get(reverse("customers:list"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert _no_store(response)


def test_rep_a_api_response_has_the_csp_and_is_not_stored(login, rep_a):
    response = login(rep_a).get("/api/customers/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    _assert_csp_and_permissions(response)
    assert _no_store(response)


def test_anonymous_api_refusal_is_not_stored(client, db):
    response = client.get("/api/customers/", HTTP_ACCEPT="application/json")
    assert response.status_code in (401, 403)
    assert _no_store(response)


def test_anonymous_login_page_has_the_csp_and_the_permissions_policy(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    _assert_csp_and_permissions(response)


def test_anonymous_404_page_has_the_csp(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    _assert_csp_and_permissions(response)


def test_static_files_stay_cacheable(client, db):
    response = client.get(static("kehu/kehu.css"))
    assert response.status_code == 200
    assert not _no_store(response)


@pytest.mark.parametrize("url", ["accounts:login", "customers:list"])
def test_every_page_links_the_favicon_and_it_is_served(url, login, rep_a, client):
    page = login(rep_a).get(reverse(url)).content.decode() if url != "accounts:login" else client.get(reverse(url)).content.decode()
    href = static("kehu/favicon.svg")
    assert f'<link rel="icon" href="{href}" type="image/svg+xml">' in page
    assert client.get(href).status_code == 200


def test_rep_a_browsable_api_page_has_no_inline_style_element(login, rep_a):
    """DRF would add its code colours as an inline <style> (when pygments is installed): refused by the CSP."""
    response = login(rep_a).get("/api/customers/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "<style" not in response.content.decode()


def test_browser_asking_for_favicon_ico_is_sent_to_the_svg(client, db):
    """Pages without our layout (the admin, the browsable API) make browsers ask for /favicon.ico."""
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"] == static("kehu/favicon.svg")

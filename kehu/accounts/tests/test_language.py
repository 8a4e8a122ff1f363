"""Simplified Chinese by default; each user switches to English for themselves."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from kehu.accounts.middleware import UserLanguageMiddleware
from kehu.accounts.models import User


def _lang(response) -> str:
    html = response.content.decode()
    start = html.index("<html lang=") + len("<html lang=") + 1
    return html[start : html.index('"', start)]


def test_default_language_is_simplified_chinese(db):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert User._meta.get_field("language").default == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def test_admin_pages_render_in_chinese_until_switched(admin, login):
    client = login(admin)
    assert _lang(client.get(reverse("admin:index"))) == "zh-hans"


def test_admin_switch_to_english_is_stored_and_the_next_page_is_english(admin, login):
    client = login(admin)
    response = client.post(reverse("accounts:language"), {"language": "en", "next": reverse("admin:index")})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    admin.refresh_from_db()
    assert admin.language == "en"
    page = client.get(response["Location"])
    assert _lang(page) == "en"
    assert "Recent actions" in page.content.decode()


def test_rep_language_follows_the_user_not_the_browser(rep_a):
    """The stored choice wins over Accept-Language, on any device."""
    rep_a.language = "en"
    rep_a.save(update_fields=["language"])
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    request.user = rep_a
    seen = {}

    def view(req):
        seen["language"] = translation.get_language()
        seen["html"] = render_to_string("accounts/locked.html", request=req)
        return HttpResponse()

    with translation.override("zh-hans"):
        UserLanguageMiddleware(view)(request)
    assert seen["language"] == "en"
    assert '<html lang="en">' in seen["html"]


def test_rep_switch_back_to_chinese(rep_a, login):
    rep_a.language = "en"
    rep_a.save(update_fields=["language"])
    client = login(rep_a)
    client.post(reverse("accounts:language"), {"language": "zh-hans", "next": "/"})
    rep_a.refresh_from_db()
    assert rep_a.language == "zh-hans"


def test_rep_unknown_language_is_ignored(rep_a, login):
    client = login(rep_a)
    response = client.post(reverse("accounts:language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    rep_a.refresh_from_db()
    assert rep_a.language == "zh-hans"


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/x"])
def test_rep_language_switch_never_redirects_off_site(rep_a, login, target):
    client = login(rep_a)
    response = client.post(reverse("accounts:language"), {"language": "en", "next": target})
    assert response["Location"] == "/"


def test_anonymous_switch_sets_a_cookie_and_the_login_page_turns_english(client, db):
    response = client.post(reverse("accounts:language"), {"language": "en", "next": reverse("accounts:login")})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert _lang(client.get(reverse("accounts:login"))) == "en"


def test_anonymous_language_switch_needs_post(client, db):
    assert client.get(reverse("accounts:language"), {"language": "en"}).status_code == 405


def test_rep_switch_to_english_turns_the_customer_list_english(rep_a, customer_a, login):
    client = login(rep_a)
    assert _lang(client.get(reverse("customers:list"))) == "zh-hans"
    response = client.post(reverse("accounts:language"), {"language": "en", "next": reverse("customers:list")})
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert _lang(page) == "en"
    assert 'data-testid="lang-zh"' in page.content.decode()  # the switch now offers Chinese

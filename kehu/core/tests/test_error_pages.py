"""Kehu's own error pages (issue 10, item 25): with DEBUG off (as `make run` and production
serve) a wrong address, a refusal or a crash shows Kehu's page in the reader's language,
not Django's English one. Tests run with DEBUG off, as pytest-django sets it."""

from django.core.exceptions import PermissionDenied
from django.templatetags.static import static
from django.test import RequestFactory
from django.urls import path
from django.utils import translation
from django.views import defaults

import config.urls


def _boom(request):
    raise RuntimeError("a bug")


def _refuse(request):
    raise PermissionDenied


# This module doubles as a URL configuration: the site's URLs plus one crash and one refusal.
urlpatterns = [path("boom/", _boom), path("refuse/", _refuse), *config.urls.urlpatterns]


def test_anonymous_visitor_gets_kehus_chinese_404_page(client, db):
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in page
    assert "页面不存在" in page
    assert "navbar-brand" in page  # the site's own layout
    assert "Not Found" not in page and "urlpatterns" not in page


def test_rep_a_reading_english_gets_the_english_404_page(login, rep_a):
    rep_a.language = "en"
    rep_a.save(update_fields=["language"])
    response = login(rep_a).get("/customers/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in page
    assert "Page not found" in page
    assert 'data-testid="whoami"' in page  # signed in: the whole navigation is there


def test_anonymous_visitor_with_the_english_cookie_gets_the_english_404_page(client, db):
    client.cookies["django_language"] = "en"
    page = client.get("/no-such-page/").content.decode()
    assert "Page not found" in page


def test_rep_a_gets_the_translated_403_page(login, rep_a, settings):
    settings.ROOT_URLCONF = __name__
    response = login(rep_a).get("/refuse/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_rep_a_gets_the_translated_500_page_when_a_view_crashes(login, rep_a, settings):
    settings.ROOT_URLCONF = __name__
    client = login(rep_a)
    client.raise_request_exception = False
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "服务器出错了" in page
    assert static("kehu/kehu.css") in page


def test_500_page_renders_in_english_without_a_database_or_request_context():
    """No `db` fixture: any query would fail the test. Django renders 500.html with no context."""
    request = RequestFactory().get("/")
    with translation.override("en"):
        response = defaults.server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert '<html lang="en">' in page


def test_403_csrf_failure_page_is_translated(client, rep_a):
    client = type(client)(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "rep_a", "password": "x"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_static_files_are_served_with_debug_off(client, db, settings):
    """`make run` serves with DEBUG off: WhiteNoise serves the CSS from the source folders."""
    assert settings.DEBUG is False
    response = client.get(static("kehu/kehu.css"))
    assert response.status_code == 200
    assert b".kehu-card" in b"".join(response.streaming_content)

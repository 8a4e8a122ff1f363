"""Chinese is the default for everyone; the browser's Accept-Language does not change it."""

from django.urls import reverse


def test_anonymous_with_english_browser_gets_chinese_login(client, db):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "登录" in response.content.decode()


def test_anonymous_language_cookie_switches_login_to_english(client, db):
    response = client.post(reverse("accounts:language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en">' in page
    assert "Log in to Kehu" in page


def test_rep_a_own_choice_beats_the_cookie(client, rep_a):
    rep_a.language = "en"
    rep_a.save()
    client.force_login(rep_a)
    client.cookies["django_language"] = "zh-hans"
    assert '<html lang="en">' in client.get(reverse("customers:list")).content.decode()

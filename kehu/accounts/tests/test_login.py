"""Logging in and out: brute-force lockout, session fixation, logout, session lifetime."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from kehu.accounts.models import UserSession

LOGIN = "accounts:login"


def _post_login(client, username, password):
    return client.post(reverse(LOGIN), {"username": username, "password": password})


def _fail(client, username, times):
    responses = [_post_login(client, username, "wrong-password") for _ in range(times)]
    return responses[-1]


def _template_names(response):
    return [t.name for t in response.templates]


def test_rep_logs_in_with_the_right_password(client, rep_a):
    response = _post_login(client, "rep_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert int(client.session[SESSION_KEY]) == rep_a.pk


def test_rep_with_a_wrong_password_sees_the_form_again(client, rep_a):
    response = _post_login(client, "rep_a", "nope")
    assert response.status_code == 200
    assert "accounts/login.html" in _template_names(response)
    assert SESSION_KEY not in client.session


def test_lockout_is_ten_failures_in_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


def test_rep_is_locked_after_ten_failures_even_with_the_right_password(client, rep_a):
    tenth = _fail(client, "rep_a", 10)
    assert tenth.status_code == 429
    assert "accounts/locked.html" in _template_names(tenth)

    response = _post_login(client, "rep_a", PASSWORD)
    assert response.status_code == 429
    assert "accounts/locked.html" in _template_names(response)
    assert SESSION_KEY not in client.session


def test_rep_after_nine_failures_still_logs_in_and_the_count_resets(client, rep_a):
    _fail(client, "rep_a", 9)
    assert _post_login(client, "rep_a", PASSWORD).status_code == 302
    client.logout()
    # The success reset the count: nine more failures do not lock.
    assert _fail(client, "rep_a", 9).status_code == 200
    assert _post_login(client, "rep_a", PASSWORD).status_code == 302


def test_rep_account_locks_whatever_address_the_failures_come_from(client, rep_a):
    for i in range(10):
        client.post(reverse(LOGIN), {"username": "rep_a", "password": "x"}, REMOTE_ADDR=f"10.0.0.{i + 1}")
    response = Client().post(reverse(LOGIN), {"username": "rep_a", "password": PASSWORD}, REMOTE_ADDR="10.0.1.1")
    assert response.status_code == 429


def test_rep_a2_elsewhere_is_not_locked_by_rep_a_failures(client, rep_a, rep_a2):
    _fail(client, "rep_a", 10)
    other = Client()
    response = other.post(reverse(LOGIN), {"username": "rep_a2", "password": PASSWORD}, REMOTE_ADDR="10.0.1.1")
    assert response.status_code == 302


def test_ten_failures_on_many_accounts_lock_the_address(client, rep_a, rep_b):
    """A password-spraying guard: the address locks, other addresses still work."""
    for name in ["ghost1", "ghost2", "ghost3", "ghost4", "ghost5"] * 2:
        _post_login(client, name, "x")
    assert _post_login(Client(), "rep_b", PASSWORD).status_code == 429
    response = Client().post(reverse(LOGIN), {"username": "rep_b", "password": PASSWORD}, REMOTE_ADDR="10.0.1.1")
    assert response.status_code == 302


def test_rep_a2_success_clears_the_count_of_the_shared_office_address(client, rep_a, rep_a2, rep_b):
    """Colleagues behind one office address: a good log-in between typos resets the address count."""
    _fail(client, "rep_a", 5)
    assert _post_login(Client(), "rep_a2", PASSWORD).status_code == 302
    _fail(client, "rep_b", 5)
    assert _post_login(Client(), "rep_b", PASSWORD).status_code == 302


def test_client_address_behind_a_proxy_is_the_hop_the_proxy_appended(rf):
    from config.settings import client_address

    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("config.settings.PROXY_COUNT", 1)
        assert client_address(request) == "203.0.113.7"
        mp.setattr("config.settings.PROXY_COUNT", 0)
        assert client_address(request) == "127.0.0.1"


def test_rep_failures_older_than_fifteen_minutes_no_longer_count(client, rep_a):
    _fail(client, "rep_a", 9)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    # One more failure now: only this one is inside the window, so no lockout.
    assert _fail(client, "rep_a", 1).status_code == 200
    assert _post_login(client, "rep_a", PASSWORD).status_code == 302


def test_rep_locked_out_can_log_in_again_after_the_cool_off(client, rep_a):
    _fail(client, "rep_a", 10)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _post_login(client, "rep_a", PASSWORD).status_code == 302


def test_rep_gets_a_new_session_key_at_login(client, rep_a):
    # An attacker plants a session id in the victim's browser before the victim logs in.
    session = client.session
    session["planted"] = "yes"
    session.save()
    planted_key = session.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == planted_key

    assert _post_login(client, "rep_a", PASSWORD).status_code == 302

    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != planted_key
    assert not Session.objects.filter(session_key=planted_key).exists()
    assert Session.objects.filter(session_key=new_key).exists()
    # The planted id does not carry the login.
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted_key
    assert SESSION_KEY not in attacker.session


def test_rep_login_records_the_session_for_later_disabling(client, rep_a):
    _post_login(client, "rep_a", PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert UserSession.objects.filter(user=rep_a, session_key=key).exists()


def test_rep_logout_ends_the_session(client, rep_a):
    _post_login(client, "rep_a", PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    # Replaying the old cookie gets nobody signed in.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert SESSION_KEY not in replay.session


def test_rep_cannot_be_logged_out_by_a_cross_site_get(client, rep_a):
    _post_login(client, "rep_a", PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert SESSION_KEY in client.session


def test_rep_session_lasts_twelve_hours(client, rep_a):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    before = timezone.now()
    _post_login(client, "rep_a", PASSWORD)

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    # Fixed at log-in as an end time, so the cookie's max-age is 12 h less the seconds since.
    assert 12 * 3600 - 60 <= int(cookie["max-age"]) <= 12 * 3600
    session = Session.objects.get(session_key=cookie.value)
    assert before + timedelta(hours=12) <= session.expire_date <= timezone.now() + timedelta(hours=12)
    assert cookie["httponly"]


def test_rep_with_an_expired_session_is_signed_out(client, rep_a):
    _post_login(client, "rep_a", PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert SESSION_KEY not in client.session


def test_anonymous_login_page_is_chinese_by_default(client, db):
    response = client.get(reverse(LOGIN))
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/"])
def test_rep_login_never_redirects_off_site(client, rep_a, target):
    response = client.post(reverse(LOGIN), {"username": "rep_a", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)


def test_rep_session_end_does_not_move_when_the_session_is_written_again(client, rep_a):
    _post_login(client, "rep_a", PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    first_end = Session.objects.get(session_key=key).expire_date
    session = client.session
    session["something"] = "changed later"
    session.save()
    assert Session.objects.get(session_key=key).expire_date == first_end

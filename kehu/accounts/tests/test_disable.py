"""Disabling a user ends every session they have, on every device, at once."""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from kehu.accounts.models import User, UserSession
from kehu.accounts.services import user_disable, user_end_sessions


def _signed_in_client(username):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_disabled_rep_is_logged_out_on_every_device(admin, rep_a):
    phone, laptop = _signed_in_client("rep_a"), _signed_in_client("rep_a")
    keys = {_key(phone), _key(laptop)}
    assert len(keys) == 2
    assert set(UserSession.objects.filter(user=rep_a).values_list("session_key", flat=True)) == keys

    user_disable(actor=admin, user=rep_a)

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=rep_a).exists()
    for client in (phone, laptop):
        assert SESSION_KEY not in client.session
        # The next page sends them to the log-in page.
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    rep_a.refresh_from_db()
    assert rep_a.is_active is False


def test_disabled_rep_cannot_log_in_again(admin, rep_a):
    user_disable(actor=admin, user=rep_a)
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "rep_a", "password": PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_disabling_rep_a_leaves_rep_a2_signed_in(admin, rep_a, rep_a2):
    _signed_in_client("rep_a")
    other = _signed_in_client("rep_a2")

    user_disable(actor=admin, user=rep_a)

    assert Session.objects.filter(session_key=_key(other)).exists()
    assert int(other.session[SESSION_KEY]) == rep_a2.pk


def test_rep_sessions_survive_logout_bookkeeping(rep_a):
    """A logout removes only that session's record; another device stays tracked."""
    phone, laptop = _signed_in_client("rep_a"), _signed_in_client("rep_a")
    phone.post(reverse("accounts:logout"))
    assert list(UserSession.objects.filter(user=rep_a).values_list("session_key", flat=True)) == [_key(laptop)]
    assert user_end_sessions(user=rep_a) == 1
    assert SESSION_KEY not in laptop.session


def test_admin_disable_action_in_the_admin_ends_sessions(admin, rep_a, login):
    device = _signed_in_client("rep_a")
    client = login(admin)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "disable_and_end_sessions", "_selected_action": [rep_a.pk]},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=rep_a.pk).is_active is False
    assert SESSION_KEY not in device.session

"""The user's own settings page (/accounts/me/): make, list and revoke API tokens; the calendar
feed's address shown, copied and reset. Chinese by default, English by the user's switch."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.accounts.tokens import MAX_TOKENS_PER_USER, AccessToken, CalendarFeed, access_token_create, token_hash

ME = reverse("accounts:me")
REVOKE = reverse("accounts:token-revoke")
RESET = reverse("accounts:calendar-feed-reset")


def new_token_on(response) -> str:
    match = re.search(r'id="new-token-value" type="text" readonly value="(kehu_[^"]+)"', response.content.decode())
    assert match, "the new token is shown"
    return match.group(1)


def test_anonymous_is_sent_to_login(client, db):
    for url in (ME, REVOKE, RESET):
        response = client.get(url)
        assert response.status_code in {302, 405}
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(ME, {"name": "x", "scope": "read"}).status_code == 302
    assert not AccessToken.objects.exists()


def test_rep_a_makes_a_token_and_sees_it_once(login, rep_a, customer_a):
    client = login(rep_a)
    page = client.get(ME)
    assert page.status_code == 200
    assert "API 令牌" in page.content.decode() and reverse("api:docs") in page.content.decode()
    response = client.post(ME, {"name": "ERP 同步", "scope": "write", "expires_on": ""})
    assert response.status_code == 200
    raw = new_token_on(response)
    token = AccessToken.objects.get()
    assert (token.user, token.name, token.scope, token.expires_at, token.key_hash) == (rep_a, "ERP 同步", "write", None, token_hash(raw))
    again = client.get(ME).content.decode()
    assert raw not in again and token.prefix in again and "ERP 同步" in again
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(f"/api/customers/{customer_a.pk}/").status_code == 200


def test_token_list_shows_name_prefix_scope_dates_and_state(login_en, rep_a):
    live, _ = access_token_create(actor=rep_a, name="Live one", scope="read", expires_on=timezone.localdate() + timedelta(days=5))
    old, _ = access_token_create(actor=rep_a, name="Old one", scope="write")
    AccessToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1), last_used_at=timezone.now())
    gone, _ = access_token_create(actor=rep_a, name="Gone one", scope="read")
    AccessToken.objects.filter(pk=gone.pk).update(is_revoked=True)
    body = login_en(rep_a).get(ME).content.decode()
    rows = re.findall(r'<tr data-testid="token-row">(.*?)</tr>', body, re.S)
    assert len(rows) == 3
    text = {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows}
    assert any(t.startswith("Live one " + live.prefix) and "Read only" in t and "never" in t and "Active" in t and "Revoke" in t for t in text), text
    assert any(t.startswith("Old one") and "Read and write" in t and "Expired" in t for t in text), text
    assert any(t.startswith("Gone one") and "Revoked" in t and "Revoke " not in t + " " for t in text), text


def test_the_form_refuses_a_past_expiry_and_no_name(login_en, rep_a):
    client = login_en(rep_a)
    response = client.post(ME, {"name": "x", "scope": "read", "expires_on": (timezone.localdate() - timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "The expiry date is in the past." in response.content.decode()
    assert client.post(ME, {"name": "  ", "scope": "read"}).status_code == 400
    assert client.post(ME, {"name": "x", "scope": "admin"}).status_code == 400
    assert not AccessToken.objects.exists()


def test_too_many_live_tokens_are_refused(login_en, rep_a):
    for i in range(MAX_TOKENS_PER_USER):
        access_token_create(actor=rep_a, name=f"t{i}", scope="read")
    response = login_en(rep_a).post(ME, {"name": "one more", "scope": "read"})
    assert response.status_code == 400 and "revoke one first" in response.content.decode()
    assert AccessToken.objects.count() == MAX_TOKENS_PER_USER


def test_rep_a_revokes_after_confirming(login, rep_a):
    token, raw = access_token_create(actor=rep_a, name="脚本", scope="read")
    client = login(rep_a)
    confirm = client.get(REVOKE, {"token": token.pk})
    assert confirm.status_code == 200 and "撤销" in confirm.content.decode() and token.prefix in confirm.content.decode()
    assert not AccessToken.objects.get(pk=token.pk).is_revoked  # asking changes nothing
    response = client.post(REVOKE, {"token": token.pk})
    assert response.status_code == 302 and response["Location"] == ME
    assert AccessToken.objects.get(pk=token.pk).is_revoked
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/customers/").status_code == 401


def test_rep_b_gets_404_for_rep_a_token(login, rep_a, rep_b):
    token, _raw = access_token_create(actor=rep_a, name="mine", scope="read")
    client = login(rep_b)
    assert client.get(REVOKE, {"token": token.pk}).status_code == 404
    assert client.post(REVOKE, {"token": token.pk}).status_code == 404
    assert client.post(REVOKE, {"token": "x"}).status_code == 404
    assert client.get(REVOKE).status_code == 404
    assert not AccessToken.objects.get(pk=token.pk).is_revoked
    assert "mine" not in client.get(ME).content.decode()


def test_rep_a_makes_shows_and_resets_the_calendar_address(login, rep_a):
    client = login(rep_a)
    page = client.get(ME).content.decode()
    assert 'data-testid="feed-create"' in page and "/activities/feed/" not in page
    assert client.post(RESET).status_code == 302
    first = CalendarFeed.objects.get(user=rep_a).key
    page = client.get(ME).content.decode()
    assert f"/activities/feed/{first}.ics" in page and 'data-copy="#calendar-feed-url"' in page
    client.post(RESET)
    second = CalendarFeed.objects.get(user=rep_a).key
    assert second != first
    assert client.get(f"/activities/feed/{first}.ics").status_code == 404
    assert client.get(f"/activities/feed/{second}.ics").status_code == 200


def test_reset_is_post_only(login, rep_a):
    assert login(rep_a).get(RESET).status_code == 405
    assert not CalendarFeed.objects.exists()


def test_finance_sees_tokens_but_no_calendar(login, finance):
    page = login(finance).get(ME).content.decode()
    assert 'data-testid="tokens"' in page and 'data-testid="calendar-feed"' not in page


@pytest.mark.parametrize("language,words", [("zh-hans", ["我的设置", "API 令牌", "日历订阅"]), ("en", ["My settings", "API tokens", "Calendar subscription"])])
def test_page_in_both_languages(login, rep_a, language, words):
    rep_a.language = language
    rep_a.save()
    body = login(rep_a).get(ME).content.decode()
    for word in words:
        assert word in body


def test_page_runs_a_fixed_number_of_queries(login, rep_a, django_assert_max_num_queries):
    client = login(rep_a)
    assert client.post(RESET).status_code == 302
    access_token_create(actor=rep_a, name="one", scope="read")
    with django_assert_max_num_queries(15) as one:
        assert client.get(ME).status_code == 200
    for i in range(20):
        access_token_create(actor=rep_a, name=f"t{i}", scope="write")
    with django_assert_max_num_queries(15) as many:
        assert client.get(ME).status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_agenda_links_to_the_calendar_subscription(login, rep_a):
    assert f'{ME}#calendar' in login(rep_a).get(reverse("activities:agenda")).content.decode()

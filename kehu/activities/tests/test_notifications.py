"""The notification centre and the header bell."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kehu.activities import notifications
from kehu.activities.context_processors import notifications as badge_processor
from kehu.activities.models import Notification
from kehu.core.hooks import Hook
from kehu.customers.models import Customer


LIST = reverse("activities:notifications")
READ_ALL = reverse("activities:notifications-read-all")



def read_url(n):
    return reverse("activities:notification-read", args=[n.pk])


def note(user, customer=None, key="k", kind="followup_due", **params):
    params.setdefault("summary", f"SUMMARY-{key}")
    params.setdefault("due_on", timezone.localdate().isoformat())
    url = reverse("customers:detail", args=[customer.pk]) if customer else ""
    return notifications.notify(user=user, kind=kind, fact_key=key, customer=customer, params=params, url=url)


def test_rep_sees_own_notifications_newest_first_with_the_unread_marked(login, rep_a, rep_b, customer_a, customer_b):
    older = note(rep_a, customer_a, "one")
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=2), read_at=timezone.now())
    newer = note(rep_a, customer_a, "two")
    note(rep_b, customer_b, "rivals")
    response = login(rep_a).get(LIST)
    assert response.status_code == 200
    assert [n.pk for n in response.context["page"].rows] == [newer.pk, older.pk]
    body = response.content.decode()
    assert f"Follow-up with {customer_a.name} is due today: SUMMARY-two" in body
    assert body.count('data-testid="notification-unread"') == 1
    assert "SUMMARY-rivals" not in body and customer_b.name not in body


def test_unread_filter(login, rep_a, customer_a):
    read = note(rep_a, customer_a, "read")
    notifications.notification_mark_read(actor=rep_a, notification=read)
    unread = note(rep_a, customer_a, "unread")
    response = login(rep_a).get(LIST, {"unread": "1"})
    assert [n.pk for n in response.context["page"].rows] == [unread.pk]


def test_notifications_about_a_customer_handed_away_are_hidden(login, rep_a, rep_b, customer_a):
    n = note(rep_a, customer_a, "handed")
    client = login(rep_a)
    assert "SUMMARY-handed" in client.get(LIST).content.decode()
    Customer.objects.filter(pk=customer_a.pk).update(owner=rep_b)
    response = client.get(LIST)
    assert response.context["page"].rows == [] and "SUMMARY-handed" not in response.content.decode()
    assert 'data-testid="notification-count"' in response.content.decode()
    assert response.context["notification_badge"].count == 0
    assert client.post(read_url(n)).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None
    # and in the recycle bin: hidden too
    Customer.objects.filter(pk=customer_a.pk).update(owner=rep_a, is_deleted=True)
    assert client.get(LIST).context["page"].rows == []


def test_notifications_about_the_pool_stay_visible_to_the_former_owner(login, rep_a, customer_a):
    note(rep_a, customer_a, "returned", kind="pool_return", on=timezone.localdate().isoformat(), reason="No follow-up for 91 days")
    Customer.objects.filter(pk=customer_a.pk).update(owner=None, previous_owner=rep_a)
    body = login(rep_a).get(LIST).content.decode()
    assert f"{customer_a.name} went back to the public pool" in body and "No follow-up for 91 days" in body


def test_rep_b_gets_404_for_rep_a_notification(login, rep_a, rep_b, manager_a, admin, customer_a):
    n = note(rep_a, customer_a)
    for user in (rep_b, manager_a, admin):  # even those who see the customer: a notification is personal
        client = login(user)
        assert client.post(read_url(n)).status_code == 404
        assert client.post(read_url(n), HTTP_HX_REQUEST="true").status_code == 404
    assert login(rep_a).post(reverse("activities:notification-read", args=[987654])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_read_needs_a_post(login, rep_a, customer_a):
    n = note(rep_a, customer_a)
    assert login(rep_a).get(read_url(n)).status_code == 405
    assert login(rep_a).get(READ_ALL).status_code == 405


def test_mark_one_read_with_htmx_returns_the_row_and_the_new_count(login, rep_a, customer_a):
    n = note(rep_a, customer_a, "a")
    note(rep_a, customer_a, "b")
    response = login(rep_a).post(read_url(n), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="notification-{n.pk}"' in body and 'data-testid="notification-unread"' not in body
    assert 'hx-swap-oob="true"' in body and ">1<" in body  # the bell now says 1
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(login, rep_a, customer_a):
    n = note(rep_a, customer_a)
    response = login(rep_a).post(read_url(n), {"next": n.url})
    assert response.status_code == 302 and response["Location"] == n.url
    n.refresh_from_db()
    assert n.read_at is not None


def test_read_never_redirects_off_site(login, rep_a, customer_a):
    n = note(rep_a, customer_a)
    response = login(rep_a).post(read_url(n), {"next": "https://evil.example.com/"})
    assert response["Location"] == LIST


def test_mark_all_read_marks_only_own_visible_notifications(login, rep_a, rep_b, customer_a, customer_b):
    mine = [note(rep_a, customer_a, f"k{i}") for i in range(3)]
    theirs = note(rep_b, customer_b, "rival")
    response = login(rep_a).post(READ_ALL, follow=True)
    assert response.status_code == 200
    assert "3 notifications marked read." in response.content.decode()
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_bell_shows_the_unread_count_on_every_page(login, rep_a, customer_a):
    for i in range(3):
        note(rep_a, customer_a, f"k{i}")
    client = login(rep_a)
    for url in (reverse("customers:list"), reverse("customers:pool"), reverse("activities:agenda")):
        body = client.get(url).content.decode()
        assert 'data-testid="notification-bell"' in body and f'href="{LIST}"' in body
        assert '<span class="visually-hidden"> unread notifications</span>' in body
        assert ">3<span" in body


def test_bell_caps_the_count(rep_a, customer_a, monkeypatch, rf):
    monkeypatch.setattr(notifications, "UNREAD_CAP", 2)
    for i in range(4):
        note(rep_a, customer_a, f"k{i}")
    request = rf.get("/")
    request.user = rep_a
    assert badge_processor(request)["notification_badge"].label == "2+"


def test_badge_is_one_query_and_only_when_shown(rep_a, customer_a, rf, django_assert_num_queries):
    note(rep_a, customer_a)
    request = rf.get("/")
    request.user = rep_a
    with django_assert_num_queries(0):
        badge = badge_processor(request)["notification_badge"]
    with django_assert_num_queries(1):
        assert badge.count == 1 and badge.label == "1" and badge.count == 1


def test_anonymous_visitor_gets_no_badge(rf, db):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    assert badge_processor(request) == {}


def test_finance_has_a_notification_centre(login, finance):
    response = login(finance).get(LIST)
    assert response.status_code == 200 and "No notifications yet." in response.content.decode()


def test_notification_list_is_paginated_with_a_fixed_query_count(login, rep_a, customer_a, django_assert_num_queries):
    client = login(rep_a)
    note(rep_a, customer_a, "first")
    client.get(LIST)
    with django_assert_num_queries(5):  # session, user, page, count, unread badge
        client.get(LIST)
    Notification.objects.bulk_create([
        Notification(user=rep_a, kind="followup_due", fact_key=f"bulk{i}", customer=customer_a, params={"summary": "x"}) for i in range(60)
    ])
    with django_assert_num_queries(5):
        response = client.get(LIST)
    page = response.context["page"]
    assert len(page.rows) == 50 and page.has_next and page.total == 61
    assert len(client.get(LIST, {"page": 2}).context["page"].rows) == 11


def test_manager_notification_list_query_count(login, manager_a, rep_a, customer_a, django_assert_num_queries):
    client = login(manager_a)
    note(manager_a, customer_a, "x", kind="followup_overdue", owner="rep_a", for_manager=True)
    client.get(LIST)
    with django_assert_num_queries(6):  # + the manager's team (once per request); the header's two badges are one query
        body = client.get(LIST).content.decode()
    assert f"rep_a missed a follow-up with {customer_a.name}" in body


def test_every_kind_reads_as_a_sentence(rep_a, customer_a):
    today = timezone.localdate().isoformat()
    cases = {
        "followup_due": ({"summary": "", "type": "visit"}, f"Follow-up with {customer_a.name} is due today: Visit"),
        "followup_overdue": ({"due_on": today}, f"Your follow-up with {customer_a.name} was due on {today} and is overdue"),
        "visit_overdue": ({"last_visit": "", "interval": 30}, f"Key account {customer_a.name} has not been visited; the interval is 30 days"),
        "pool_return": ({"on": today}, f"{customer_a.name} went back to the public pool on {today}"),
        "pool_warning": ({"on": today}, f"{customer_a.name} goes back to the public pool on {today} unless you follow up"),
        "approval": ({}, f"Approval waiting: {customer_a.name}"),
        "anomaly": ({}, f"Anomaly: {customer_a.name}"),
    }
    for kind, (params, text) in cases.items():
        n = Notification(user=rep_a, kind=kind, fact_key="x", customer=customer_a, params=params)
        assert notifications.notification_message(n) == text, kind
    assert notifications.notification_message(Notification(user=rep_a, kind="anomaly", fact_key="x")) == "Anomaly"


def test_message_is_written_when_shown_in_the_readers_language(login, rep_a, customer_a, monkeypatch):
    from kehu.activities import hooks

    monkeypatch.setattr(hooks, "NOTIFICATION_RENDERERS", Hook("test"))
    hooks.NOTIFICATION_RENDERERS.register(lambda n: f"READ-IN-{translation.get_language()}", key="anomaly")
    notifications.notify(user=rep_a, kind="anomaly", fact_key="x", customer=customer_a)
    client = login(rep_a)
    for language in ("zh-hans", "en"):
        rep_a.language = language
        rep_a.save(update_fields=["language"])
        assert f"READ-IN-{language}" in client.get(LIST).content.decode()

"""The calendar feed (issue 14): a user's open planned follow-ups as iCalendar at a secret,
revocable address; parsed back with icalendar.Calendar.from_ical."""

from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.tokens import CalendarFeed, calendar_feed_reset
from kehu.activities.feed import FEED_PAST_DAYS
from kehu.activities.models import Activity


def planned(customer, owner, due_on, summary="", **extra):
    return Activity.objects.create(customer=customer, owner=owner, status="planned", due_on=due_on, summary=summary, kind=extra.pop("kind", "phone"), **extra)


def feed_url(user):
    feed = CalendarFeed.objects.filter(user=user).first() or calendar_feed_reset(actor=user)
    return reverse("activities:calendar-feed", kwargs={"key": feed.key})


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e.get("uid")): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def world(cast, settings):
    settings.KEHU_SITE_URL = "https://crm.example.com"
    today = timezone.localdate()
    rep_a, rep_b = cast["rep_a"], cast["rep_b"]
    rows = {
        "soon": planned(cast["customer_a"], rep_a, today + timedelta(days=2), "Send the quote", kind="visit", visit_level="technical"),
        "late": planned(cast["customer_a"], rep_a, today - timedelta(days=FEED_PAST_DAYS), "Chase the sample"),
        "far": planned(cast["customer_a"], rep_a, today + timedelta(days=400), "Renewal"),
        "too_old": planned(cast["customer_a"], rep_a, today - timedelta(days=FEED_PAST_DAYS + 1), "Old"),
        "pool": planned(cast["pool_customer"], rep_a, today, "Pool lead"),
        "done": Activity.objects.create(customer=cast["customer_a"], owner=rep_a, status="cancelled", due_on=today, cancel_reason="x"),
        "rival": planned(cast["customer_b"], rep_b, today, "RIVAL-PLAN"),
        # rep_a2's follow-up of rep_a's customer: the agenda shows it to rep_a2, not rep_a
        "colleague": planned(cast["customer_a"], cast["rep_a2"], today, "Colleague"),
    }
    return {"today": today, "rows": rows, **cast}


def uid(row):
    return f"kehu-activity-{row.pk}@crm.example.com"


def test_rep_a_feed_has_own_open_follow_ups_from_30_days_ago_on(world, client):
    rows = world["rows"]
    found = events(client.get(feed_url(world["rep_a"])))
    assert set(found) == {uid(rows["soon"]), uid(rows["late"]), uid(rows["far"]), uid(rows["pool"])}
    soon = found[uid(rows["soon"])]
    assert soon.decoded("dtstart") == world["today"] + timedelta(days=2)
    assert soon.decoded("dtend") == world["today"] + timedelta(days=3)
    assert str(soon.get("summary")) == "华为技术有限公司 · 拜访"  # rep_a reads Chinese (the default)
    assert "Send the quote" in str(soon.get("description"))
    assert str(soon.get("url")) == f"https://crm.example.com/customers/{world['customer_a'].pk}/"
    calendar = icalendar.Calendar.from_ical(client.get(feed_url(world["rep_a"])).content)
    assert str(calendar.get("x-wr-calname")) == "rep_a 的客户跟进计划"
    assert calendar.decoded("refresh-interval") == timedelta(hours=1)


def test_feed_speaks_the_users_language(world, client):
    rep_a = world["rep_a"]
    rep_a.language = "en"
    rep_a.save()
    soon = events(client.get(feed_url(rep_a)))[uid(world["rows"]["soon"])]
    assert str(soon.get("summary")) == "华为技术有限公司 · Visit"
    assert "Visit level: Technical" in str(soon.get("description"))


def test_feed_never_shows_a_customer_the_user_no_longer_sees(world, client):
    from kehu.customers.models import Customer

    url = feed_url(world["rep_a"])
    Customer.objects.filter(pk=world["customer_a"].pk).update(owner=world["rep_b"])
    found = events(client.get(url))
    assert set(found) == {uid(world["rows"]["pool"])}
    assert b"RIVAL-PLAN" not in client.get(feed_url(world["rep_a"])).content


def test_rep_b_feed_has_only_rep_b_follow_ups(world, client):
    assert set(events(client.get(feed_url(world["rep_b"])))) == {uid(world["rows"]["rival"])}


def test_wrong_and_reset_keys_are_404(world, client):
    rep_a = world["rep_a"]
    old = feed_url(rep_a)
    assert client.get(old).status_code == 200
    calendar_feed_reset(actor=rep_a)
    new = feed_url(rep_a)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get(reverse("activities:calendar-feed", kwargs={"key": "not-a-key"})).status_code == 404
    assert client.get("/activities/feed/.ics").status_code == 404


def test_disabled_user_feed_is_404(world, client):
    url = feed_url(world["rep_a"])
    world["rep_a"].is_active = False
    world["rep_a"].save()
    assert client.get(url).status_code == 404


def test_finance_holds_no_follow_ups_and_has_no_feed(world, client):
    assert client.get(feed_url(world["finance"])).status_code == 404


def test_feed_refuses_writes(world, client):
    assert client.post(feed_url(world["rep_a"])).status_code == 405


def test_feed_runs_a_fixed_number_of_queries(world, client, django_assert_max_num_queries):
    url = feed_url(world["rep_a"])
    for i in range(20):
        planned(world["customer_a"], world["rep_a"], world["today"] + timedelta(days=i), f"more {i}")
    with django_assert_max_num_queries(3):
        response = client.get(url)
    assert len(events(response)) == 24

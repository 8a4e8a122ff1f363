"""The personal agenda and the calendar: whose follow-ups, which section, fixed query counts."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_customer
from kehu.activities import agenda
from kehu.activities.models import Activity
from kehu.customers.models import Customer


AGENDA = reverse("activities:agenda")
CALENDAR = reverse("activities:calendar")



def planned(customer, owner, due_on, summary="", **extra):
    return Activity.objects.create(customer=customer, owner=owner, status="planned", due_on=due_on, summary=summary, kind=extra.pop("kind", "phone"), **extra)


def logged(customer, owner, day, hour=10, summary="", **extra):
    at = timezone.make_aware(datetime.combine(day, time(hour, 0)))
    return Activity.objects.create(customer=customer, owner=owner, status="done", at=at, summary=summary, kind=extra.pop("kind", "phone"), **extra)


def section(response, key):
    return next(s for s in response.context["sections"] if s["key"] == key)


# --- sections --------------------------------------------------------------------------------

def test_rep_sees_own_follow_ups_in_the_right_sections(login, rep_a, customer_a, rep_b, customer_b):
    today = timezone.localdate()
    sunday = agenda.week_start(today) + timedelta(days=6)
    late = planned(customer_a, rep_a, today - timedelta(days=3), "Chase the sample")
    due = planned(customer_a, rep_a, today, "Send the quote")
    ahead = planned(customer_a, rep_a, today + timedelta(days=20), "Plan the visit")
    too_far = planned(customer_a, rep_a, today + timedelta(days=agenda.LATER_DAYS + 1))
    planned(customer_b, rep_b, today, "RIVAL-PLAN")
    cancelled = Activity.objects.create(customer=customer_a, owner=rep_a, status="cancelled", due_on=today)
    week = planned(customer_a, rep_a, sunday) if sunday > today else None

    response = login(rep_a).get(AGENDA)
    assert response.status_code == 200
    assert [a.pk for a in section(response, "overdue")["rows"]] == [late.pk]
    assert [a.pk for a in section(response, "today")["rows"]] == [due.pk]
    assert [a.pk for a in section(response, "week")["rows"]] == ([week.pk] if week else [])
    assert [a.pk for a in section(response, "later")["rows"]] == [ahead.pk]
    shown = {a.pk for s in response.context["sections"] for a in s["rows"]}
    assert too_far.pk not in shown and cancelled.pk not in shown
    body = response.content.decode()
    assert "Chase the sample" in body and "3 days late" in body
    assert f"{reverse('activities:activity-log', args=[customer_a.pk])}?fulfils={due.pk}" in body
    assert "RIVAL-PLAN" not in body and customer_b.name not in body


def test_this_week_is_the_iso_week_in_the_company_time_zone():
    monday = datetime(2030, 1, 7).date()
    assert agenda.week_start(monday) == monday
    assert agenda.week_start(monday + timedelta(days=6)) == monday
    assert agenda.week_start(monday + timedelta(days=7)) == monday + timedelta(days=7)


def test_sections_on_a_wednesday(rep_a, customer_a):
    wednesday = datetime(2030, 1, 9).date()
    for offset in (-1, 0, 1, 4, 5, 30, 31):
        planned(customer_a, rep_a, wednesday + timedelta(days=offset))
    scope = agenda.agenda_scope(user=rep_a, who=None)
    sections = {s["key"]: [(a.due_on - wednesday).days for a in s["rows"]] for s in agenda.agenda_sections(user=rep_a, scope=scope, today=wednesday)}
    assert sections == {"overdue": [-1], "today": [0], "week": [1, 4], "later": [5, 30]}


def test_handed_over_follow_ups_leave_the_old_owners_agenda(login, rep_a, rep_b, customer_a):
    plan = planned(customer_a, rep_a, timezone.localdate(), "HANDED-PLAN")
    Customer.objects.filter(pk=customer_a.pk).update(owner=rep_b)
    body = login(rep_a).get(AGENDA).content.decode()
    assert "HANDED-PLAN" not in body  # the customer is no longer rep_a's (even if the plan were)
    Activity.objects.filter(pk=plan.pk).update(owner=rep_b)
    assert "HANDED-PLAN" in login(rep_b).get(AGENDA).content.decode()


# --- whose agenda ------------------------------------------------------------------------------

def test_rep_b_gets_404_for_rep_a_agenda_and_calendar(login, rep_a, rep_b):
    client = login(rep_b)
    for url in (AGENDA, CALENDAR):
        assert client.get(url, {"who": rep_a.pk}).status_code == 404
        assert client.get(url, {"who": "team"}).status_code == 404
        assert client.get(url, {"who": "all"}).status_code == 404
        assert client.get(url).status_code == 200


def test_finance_has_no_agenda(login, finance):
    assert login(finance).get(AGENDA).status_code == 404
    assert login(finance).get(CALENDAR).status_code == 404


def test_manager_picks_a_team_member_or_the_team_but_not_another_team(login, manager_a, rep_a, rep_a2, rep_b, customer_a, customer_a2, customer_b):
    today = timezone.localdate()
    planned(customer_a, rep_a, today, "PLAN-A")
    planned(customer_a2, rep_a2, today, "PLAN-A2")
    planned(customer_b, rep_b, today, "PLAN-B")
    client = login(manager_a)
    own = client.get(AGENDA).content.decode()
    assert "PLAN-A" not in own  # manager_a's own agenda is empty
    team = client.get(AGENDA, {"who": "team"}).content.decode()
    assert "PLAN-A" in team and "PLAN-A2" in team and "PLAN-B" not in team
    one = client.get(AGENDA, {"who": rep_a2.pk}).content.decode()
    assert "PLAN-A2" in one and "PLAN-A<" not in one and "PLAN-B" not in one
    assert client.get(AGENDA, {"who": rep_b.pk}).status_code == 404
    assert client.get(AGENDA, {"who": "all"}).status_code == 404
    choices = dict(client.get(AGENDA).context["scope"].choices)
    assert str(rep_a.pk) in choices and str(rep_b.pk) not in choices


def test_admin_sees_everyone_or_one_person(login, admin, rep_a, rep_b, customer_a, customer_b):
    today = timezone.localdate()
    planned(customer_a, rep_a, today, "PLAN-A")
    planned(customer_b, rep_b, today, "PLAN-B")
    client = login(admin)
    everyone = client.get(AGENDA, {"who": "all"}).content.decode()
    assert "PLAN-A" in everyone and "PLAN-B" in everyone
    only_b = client.get(AGENDA, {"who": rep_b.pk}).content.decode()
    assert "PLAN-B" in only_b and "PLAN-A" not in only_b
    assert client.get(AGENDA, {"who": "team"}).status_code == 404
    assert client.get(AGENDA, {"who": "nonsense"}).status_code == 404


def test_agenda_query_count_is_the_same_for_1_and_many(login, rep_a, customer_a, django_assert_num_queries):
    client = login(rep_a)
    today = timezone.localdate()
    planned(customer_a, rep_a, today - timedelta(days=1))
    planned(customer_a, rep_a, today)
    planned(customer_a, rep_a, today + timedelta(days=15))
    client.get(AGENDA)
    # session, user, counts, 4 sections, unread badge
    with django_assert_num_queries(8):
        assert client.get(AGENDA).status_code == 200
    others = [make_customer(rep_a, f"客户{i}", f"QA{i:03d}") for i in range(12)]
    for i, customer in enumerate(others):
        planned(customer, rep_a, today + timedelta(days=(i % 4) - 1), contact=None)
    with django_assert_num_queries(8):
        response = client.get(AGENDA)
    assert sum(len(s["rows"]) for s in response.context["sections"]) == 15


def test_manager_team_agenda_query_count_is_fixed(login, manager_a, rep_a, rep_a2, customer_a, customer_a2, django_assert_num_queries):
    client = login(manager_a)
    planned(customer_a, rep_a, timezone.localdate())
    client.get(AGENDA, {"who": "team"})
    with django_assert_num_queries(10):  # (the navigation's unread and approvals badges: one query)
        client.get(AGENDA, {"who": "team"})
    for i in range(5):
        planned(customer_a2, rep_a2, timezone.localdate() + timedelta(days=i))
    with django_assert_num_queries(10):  # (the navigation's unread and approvals badges: one query)
        client.get(AGENDA, {"who": "team"})


def test_agenda_caps_long_sections(rep_a, customer_a, monkeypatch):
    monkeypatch.setattr(agenda, "SECTION_LIMIT", 2)
    for _i in range(3):
        planned(customer_a, rep_a, timezone.localdate() - timedelta(days=1))
    overdue = agenda.agenda_sections(user=rep_a, scope=agenda.agenda_scope(user=rep_a, who="me"))[0]
    assert overdue["total"] == 3 and len(overdue["rows"]) == 2 and overdue["capped"]


# --- calendar ------------------------------------------------------------------------------------

def test_week_calendar_shows_planned_by_due_date_and_done_by_time(login, rep_a, customer_a, customer_b, rep_b):
    monday = agenda.week_start(timezone.localdate())
    wednesday = monday + timedelta(days=2)
    plan = planned(customer_a, rep_a, wednesday, "PLANNED-WED")
    done = logged(customer_a, rep_a, monday, hour=9, summary="DONE-MON")
    logged(customer_a, rep_a, monday - timedelta(days=1), summary="LAST-WEEK")
    logged(customer_b, rep_b, monday, summary="RIVAL-DONE")
    response = login(rep_a).get(CALENDAR, {"view": "week", "date": wednesday.isoformat()})
    assert response.status_code == 200
    cal = response.context["cal"]
    assert cal["start"] == monday and len(cal["days"]) == 7
    days = {d["date"]: d for d in cal["days"]}
    assert [a.pk for a in days[wednesday]["planned"]] == [plan.pk]
    assert [a.pk for a in days[monday]["done"]] == [done.pk]
    body = response.content.decode()
    assert "PLANNED-WED" in body and "DONE-MON" in body and "LAST-WEEK" not in body and "RIVAL-DONE" not in body
    assert cal["previous"] == monday - timedelta(days=7) and cal["next"] == monday + timedelta(days=7)
    assert f"date={(monday - timedelta(days=7)).isoformat()}" in body


def test_day_calendar_and_navigation(login, rep_a, customer_a):
    day = timezone.localdate() + timedelta(days=3)
    planned(customer_a, rep_a, day, "ON-THE-DAY")
    planned(customer_a, rep_a, day + timedelta(days=1), "THE-DAY-AFTER")
    response = login(rep_a).get(CALENDAR, {"view": "day", "date": day.isoformat()})
    cal = response.context["cal"]
    assert cal["view"] == "day" and [d["date"] for d in cal["days"]] == [day]
    assert cal["next"] == day + timedelta(days=1) and cal["previous"] == day - timedelta(days=1)
    body = response.content.decode()
    assert "ON-THE-DAY" in body and "THE-DAY-AFTER" not in body


def test_calendar_survives_a_bad_date(login, rep_a):
    response = login(rep_a).get(CALENDAR, {"view": "month", "date": "yesterday"})
    assert response.status_code == 200 and response.context["cal"]["view"] == "day"


def test_done_activity_late_in_the_evening_is_on_its_local_day(rep_a, customer_a):
    day = datetime(2030, 3, 4).date()
    late = logged(customer_a, rep_a, day, hour=23)
    scope = agenda.agenda_scope(user=rep_a, who="me")
    cal = agenda.calendar_days(user=rep_a, scope=scope, view="day", day=day)
    assert [a.pk for a in cal["days"][0]["done"]] == [late.pk]
    assert agenda.calendar_days(user=rep_a, scope=scope, view="day", day=day + timedelta(days=1))["empty"]


def test_calendar_query_count_is_the_same_for_1_and_many(login, rep_a, customer_a, django_assert_num_queries):
    client = login(rep_a)
    monday = agenda.week_start(timezone.localdate())
    planned(customer_a, rep_a, monday)
    params = {"view": "week", "date": monday.isoformat()}
    client.get(CALENDAR, params)
    with django_assert_num_queries(5):  # session, user, planned, done, unread badge
        client.get(CALENDAR, params)
    for i in range(7):
        other = make_customer(rep_a, f"日历{i}", f"CAL{i}")
        planned(other, rep_a, monday + timedelta(days=i))
        logged(other, rep_a, monday + timedelta(days=i))
    with django_assert_num_queries(5):
        response = client.get(CALENDAR, params)
    assert sum(len(d["planned"]) + len(d["done"]) for d in response.context["cal"]["days"]) == 15


def test_log_it_opens_the_log_form_for_that_follow_up(login, rep_a, customer_a):
    plan = planned(customer_a, rep_a, timezone.localdate() + timedelta(days=2))
    planned(customer_a, rep_a, timezone.localdate() - timedelta(days=1))  # the form's own default would be this one
    client = login(rep_a)
    link = next(a for s in client.get(AGENDA).context["sections"] for a in s["rows"] if a.pk == plan.pk)
    response = client.get(reverse("activities:activity-log", args=[link.customer_id]), {"fulfils": plan.pk})
    assert response.status_code == 200
    assert response.context["form"].initial["fulfils"] == plan.pk

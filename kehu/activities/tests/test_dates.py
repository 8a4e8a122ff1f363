"""Dates in activities (issue 10, items 1 and 2): every date a user types is within
DATE_MIN..DATE_MAX with a clear message, and every page survives a date already stored
outside it (written directly in the database, or by an older version)."""

import json
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kehu.activities import agenda
from kehu.activities.errors import ActivityError
from kehu.activities.models import Activity
from kehu.activities.services import activity_log, activity_plan
from kehu.core.dates import DATE_MAX, DATE_MIN

EXTREMES = [date(9999, 12, 31), date(1, 1, 1)]
RANGE_MESSAGE = "Enter a date between 2000-01-01 and 2099-12-31."


def plan_stored(customer, owner, due_on, summary="far away"):
    """A planned follow-up written straight into the table (no service, no validation)."""
    return Activity.objects.create(customer=customer, owner=owner, status="planned", due_on=due_on, summary=summary, kind="phone")


def panel_url(customer):
    return reverse("activities:activity-plan", args=[customer.pk])


# --- typing a date -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["9999-12-31", "2100-01-01"])
def test_rep_cannot_plan_a_follow_up_beyond_the_range(login, rep_a, customer_a, typed):
    response = login(rep_a).post(panel_url(customer_a), {"kind": "phone", "due_on": typed})
    assert response.status_code == 200
    assert RANGE_MESSAGE in response.content.decode()
    assert not Activity.objects.filter(customer=customer_a).exists()


def test_rep_cannot_log_with_a_next_follow_up_beyond_the_range(login, rep_a, customer_a):
    now = timezone.localtime().replace(second=0, microsecond=0)
    response = login(rep_a).post(reverse("activities:activity-log", args=[customer_a.pk]), {
        "kind": "phone", "at": now.strftime("%Y-%m-%dT%H:%M"), "summary": "Called", "next_due_on": "9999-12-31",
    })
    assert response.status_code == 200
    assert RANGE_MESSAGE in response.content.decode()
    assert not Activity.objects.filter(customer=customer_a).exists()


def test_rep_cannot_log_a_follow_up_before_the_range(login, rep_a, customer_a):
    response = login(rep_a).post(reverse("activities:activity-log", args=[customer_a.pk]), {
        "kind": "phone", "at": "1999-12-31T10:00", "summary": "Called",
    })
    assert response.status_code == 200
    assert RANGE_MESSAGE in response.content.decode()
    assert not Activity.objects.filter(customer=customer_a).exists()


def test_rep_cannot_reschedule_beyond_the_range(login, rep_a, customer_a):
    plan = plan_stored(customer_a, rep_a, timezone.localdate() + timedelta(days=3))
    response = login(rep_a).post(
        reverse("activities:activity-edit", args=[customer_a.pk]) + f"?activity={plan.pk}",
        {"activity": plan.pk, "kind": "phone", "due_on": "9999-12-31"},
    )
    assert response.status_code == 200
    assert RANGE_MESSAGE in response.content.decode()
    plan.refresh_from_db()
    assert plan.due_on == timezone.localdate() + timedelta(days=3)


def test_the_services_refuse_dates_beyond_the_range_too(rep_a, customer_a):
    """The importer and any API call the services: the rule lives there as well."""
    with pytest.raises(ActivityError) as exc:
        activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=date(9999, 12, 31))
    assert exc.value.field == "due_on"
    with pytest.raises(ActivityError) as exc:
        activity_log(actor=rep_a, customer=customer_a, kind="phone", at=timezone.now(), summary="x", next_due_on=date(2100, 1, 1))
    assert exc.value.field == "next_due_on"
    with pytest.raises(ActivityError) as exc:
        activity_log(actor=rep_a, customer=customer_a, kind="phone", at=datetime(1999, 1, 1, tzinfo=dt_timezone.utc), summary="x")
    assert exc.value.field == "at"
    assert not Activity.objects.filter(customer=customer_a).exists()


def test_the_range_edges_are_accepted(rep_a, customer_a):
    plan = activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=DATE_MAX)
    assert plan.due_on == DATE_MAX


# --- dates already stored --------------------------------------------------------------------------

@pytest.mark.parametrize("due_on", EXTREMES)
def test_everyone_still_reads_the_customer_with_a_far_planned_follow_up(login, rep_a, manager_a, admin, customer_a, due_on):
    plan = plan_stored(customer_a, rep_a, due_on)
    Activity.objects.create(customer=customer_a, owner=rep_a, status="done", at=timezone.now(), summary="a call", kind="phone")
    plan_stored(customer_a, rep_a, timezone.localdate())
    for user in (rep_a, manager_a, admin):
        client = login(user)
        assert client.get(reverse("customers:detail", args=[customer_a.pk])).status_code == 200
        assert client.get(reverse("activities:customer-timeline", args=[customer_a.pk])).status_code == 200
        partial = client.get(reverse("activities:customer-timeline", args=[customer_a.pk]), HTTP_HX_REQUEST="true")
        assert partial.status_code == 200 and "far away" in partial.content.decode()
    assert plan.pk


@pytest.mark.parametrize("due_on", EXTREMES)
def test_rep_cancels_a_far_planned_follow_up(login, rep_a, customer_a, due_on):
    plan = plan_stored(customer_a, rep_a, due_on)
    client = login(rep_a)
    url = reverse("activities:activity-cancel", args=[customer_a.pk]) + f"?activity={plan.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"activity": plan.pk, "reason": "typo"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == Activity.Status.CANCELLED
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("due_on", EXTREMES)
def test_rep_reschedules_a_far_planned_follow_up(login, rep_a, customer_a, due_on):
    plan = plan_stored(customer_a, rep_a, due_on)
    client = login(rep_a)
    url = reverse("activities:activity-edit", args=[customer_a.pk]) + f"?activity={plan.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{due_on.isoformat()}"' in page.content.decode()
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(url, {"activity": plan.pk, "kind": "phone", "due_on": tomorrow.isoformat()})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.due_on == tomorrow


@pytest.mark.parametrize("moment", [datetime(9999, 12, 31, 23, 0, tzinfo=dt_timezone.utc), datetime(1, 1, 1, 0, 0, tzinfo=dt_timezone.utc)])
def test_the_timeline_survives_a_logged_follow_up_at_an_extreme_time(login, rep_a, customer_a, moment):
    Activity.objects.create(customer=customer_a, owner=rep_a, status="done", at=moment, summary="odd clock", kind="phone")
    client = login(rep_a)
    response = client.get(reverse("activities:customer-timeline", args=[customer_a.pk]))
    assert response.status_code == 200 and "odd clock" in response.content.decode()
    assert client.get(reverse("customers:detail", args=[customer_a.pk])).status_code == 200
    odd = Activity.objects.get(summary="odd clock")
    for name in ("activities:activity-edit", "activities:activity-delete"):
        assert client.get(reverse(name, args=[customer_a.pk]) + f"?activity={odd.pk}").status_code == 200
    assert client.get(reverse("activities:calendar")).status_code == 200
    assert client.get(reverse("activities:calendar") + f"?date={DATE_MAX.isoformat()}").status_code == 200


@pytest.mark.parametrize("due_on", EXTREMES)
def test_agenda_calendar_and_team_view_survive_far_planned_follow_ups(login, rep_a, manager_a, customer_a, due_on):
    plan_stored(customer_a, rep_a, due_on)
    client = login(manager_a)
    assert client.get(reverse("activities:agenda") + "?who=team").status_code == 200
    assert client.get(reverse("activities:calendar") + "?who=team").status_code == 200
    assert client.get(reverse("activities:team")).status_code == 200
    assert client.get(reverse("activities:team") + "?period=custom&from=2000-01-01&to=2099-12-31").status_code == 200


@pytest.mark.parametrize("due_on", EXTREMES)
def test_kehu_daily_survives_far_planned_follow_ups_and_visits(rep_a, customer_a, due_on):
    plan_stored(customer_a, rep_a, due_on)
    customer_a.is_key_account = True
    customer_a.save(update_fields=["is_key_account"])
    moment = datetime(9999, 12, 31, 23, 0, tzinfo=dt_timezone.utc) if due_on.year == 9999 else datetime(1, 1, 1, tzinfo=dt_timezone.utc)
    Activity.objects.create(customer=customer_a, owner=rep_a, status="done", at=moment, summary="odd", kind="visit", visit_level="business")
    out = StringIO()
    call_command("daily", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["followups_due"] == 0 and result["visits_overdue"] is not None


@pytest.mark.parametrize("due_on", EXTREMES)
def test_notifications_about_a_far_follow_up_still_read(login, rep_a, customer_a, due_on):
    from kehu.activities.models import Notification

    plan = plan_stored(customer_a, rep_a, due_on)
    Notification.objects.create(
        user=rep_a, kind=Notification.Kind.FOLLOWUP_OVERDUE, fact_key=f"activity:{plan.pk}:overdue", customer=customer_a,
        params={"due_on": due_on.isoformat(), "type": "phone", "summary": "", "owner": str(rep_a)},
    )
    response = login(rep_a).get(reverse("activities:notifications"))
    assert response.status_code == 200 and due_on.isoformat() in response.content.decode()


# --- ?date= and the navigation -------------------------------------------------------------------

@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01", "not-a-date", "2026-02-30"])
@pytest.mark.parametrize("view", ["week", "day"])
def test_rep_gets_the_calendar_for_any_date_parameter(login, rep_a, value, view):
    response = login(rep_a).get(reverse("activities:calendar") + f"?date={value}&view={view}")
    assert response.status_code == 200
    cal = response.context["cal"]
    assert cal["start"] == agenda.week_start(timezone.localdate()) if view == "week" else cal["start"] == timezone.localdate()


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "nonsense"])
def test_rep_gets_the_agenda_for_any_date_parameter(login, rep_a, value):
    assert login(rep_a).get(reverse("activities:agenda") + f"?date={value}").status_code == 200


@pytest.mark.parametrize("view", ["week", "day"])
def test_calendar_navigation_never_steps_outside_the_range(login, rep_a, view):
    client = login(rep_a)
    first = client.get(reverse("activities:calendar") + f"?date={DATE_MIN.isoformat()}&view={view}").context["cal"]
    assert first["previous"] is None and first["next"] is not None and DATE_MIN <= first["next"] <= DATE_MAX
    last = client.get(reverse("activities:calendar") + f"?date={DATE_MAX.isoformat()}&view={view}").context["cal"]
    assert last["next"] is None and last["previous"] is not None and DATE_MIN <= last["previous"] <= DATE_MAX
    # the week before the first full week links to a date the page accepts
    second = client.get(reverse("activities:calendar") + f"?date=2000-01-05&view={view}").context["cal"]
    assert second["previous"] is not None and DATE_MIN <= second["previous"]
    assert client.get(reverse("activities:calendar") + f"?date={second['previous'].isoformat()}&view={view}").context["cal"]["start"] <= DATE_MIN + timedelta(days=6)


@pytest.mark.parametrize("params", [
    "?period=custom&from=0001-01-01&to=9999-12-31", "?period=custom&from=9999-12-31", "?period=custom&to=0001-01-01",
    "?period=custom&from=2099-12-31&to=2099-12-31", "?period=custom&from=x&to=y",
])
def test_manager_gets_the_team_view_for_any_period(login, manager_a, params):
    response = login(manager_a).get(reverse("activities:team") + params)
    assert response.status_code == 200
    assert DATE_MIN <= response.context["start"] <= response.context["end"] <= DATE_MAX

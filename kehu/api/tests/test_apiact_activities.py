"""Issue 14 (apiact): /api/activities/, /api/followups/ and /api/notifications/ with the pages'
rules: the same services (kehu.activities.services), the same scope (another rep's activity
is 404), the same rights (finance never logs: 403; a read-only token: 403 on writes)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.accounts.tokens import access_token_create
from kehu.activities.models import Activity, Notification
from kehu.customers.models import Customer


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def error(response):
    return response.json()["error"]


def at(days_ago: int, hour: int = 10):
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


@pytest.fixture
def logged(cast):
    """rep_a: a phone call 3 days ago and a visit yesterday on customer_a; rep_b: a call on customer_b."""
    def log(customer, owner, kind, when, level=""):
        return Activity.objects.create(customer=customer, owner=owner, created_by=owner, kind=kind, visit_level=level,
                                       status=Activity.Status.DONE, at=when, summary=f"{kind} {customer.code}")
    return {
        "a_call": log(cast["customer_a"], cast["rep_a"], "phone", at(3)),
        "a_visit": log(cast["customer_a"], cast["rep_a"], "visit", at(1), "technical"),
        "b_call": log(cast["customer_b"], cast["rep_b"], "phone", at(2)),
    }


@pytest.fixture
def plans(cast):
    """Open planned follow-ups: rep_a's overdue (2 days ago) and due in 3 days; rep_b's due today."""
    today = timezone.localdate()

    def plan(customer, owner, due):
        return Activity.objects.create(customer=customer, owner=owner, created_by=owner, kind="phone",
                                       status=Activity.Status.PLANNED, due_on=due, summary="回访")
    return {
        "a_overdue": plan(cast["customer_a"], cast["rep_a"], today - timedelta(days=2)),
        "a_later": plan(cast["customer_a"], cast["rep_a"], today + timedelta(days=3)),
        "b_today": plan(cast["customer_b"], cast["rep_b"], today),
    }


# --- logged activities ----------------------------------------------------------------------------

def test_rep_lists_the_activities_of_customers_they_see_and_gets_404_on_another_reps(api, cast, logged):
    rep_a = api(cast["rep_a"])
    assert ids(rep_a.get("/api/activities/")) == [logged["a_visit"].pk, logged["a_call"].pk]  # newest first
    assert rep_a.get(f"/api/activities/{logged['a_call'].pk}/").json()["summary"] == "phone C00001"
    assert rep_a.get(f"/api/activities/{logged['b_call'].pk}/").status_code == 404
    assert ids(api(cast["rep_b"]).get("/api/activities/")) == [logged["b_call"].pk]
    assert len(ids(api(cast["manager_a"]).get("/api/activities/"))) == 2  # team A only
    assert len(ids(api(cast["finance"]).get("/api/activities/"))) == 3  # finance reads everything


def test_activity_filters_are_validated_and_applied(api, cast, logged):
    director = api(cast["director"])
    assert ids(director.get("/api/activities/", {"kind": "visit"})) == [logged["a_visit"].pk]
    assert ids(director.get("/api/activities/", {"owner": cast["rep_b"].pk})) == [logged["b_call"].pk]
    assert ids(director.get("/api/activities/", {"customer": cast["customer_a"].pk})) == [logged["a_visit"].pk, logged["a_call"].pk]
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert ids(director.get("/api/activities/", {"at_from": day, "at_to": day})) == [logged["b_call"].pk]
    assert ids(director.get("/api/activities/", {"ordering": "at"})) == [logged["a_call"].pk, logged["b_call"].pk, logged["a_visit"].pk]
    for bad in ({"kind": "fax"}, {"owner": "abc"}, {"at_from": "yesterday"}, {"ordering": "summary"}):
        response = director.get("/api/activities/", bad)
        assert response.status_code == 400, bad
        assert error(response)["code"] == "validation_error"
        assert list(error(response)["fields"]) == list(bad)


def test_activity_updated_since(api, cast, logged):
    Activity.objects.filter(pk=logged["a_call"].pk).update(updated_at=timezone.now() - timedelta(days=30))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(api(cast["rep_a"]).get("/api/activities/", {"updated_since": since})) == [logged["a_visit"].pk]


def test_rep_logs_a_follow_up_through_the_service(api, cast):
    customer = cast["customer_a"]
    when = at(0, 9) if timezone.localtime().hour >= 10 else at(1, 9)
    response = api(cast["rep_a"]).post("/api/activities/", {
        "customer": customer.pk, "kind": "visit", "visit_level": "leadership", "at": when.isoformat(),
        "summary": "  拜访总经理  ", "next_due_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["visit_level"], body["status"], body["summary"], body["due_on"]) == ("visit", "leadership", "done", "拜访总经理", None)
    assert body["owner"]["username"] == "rep_a"
    customer.refresh_from_db()
    assert customer.last_followup_at == when  # the service moved the customer's clock
    nxt = Activity.objects.get(planned_by_id=body["id"])
    assert (nxt.status, nxt.owner_id, nxt.due_on) == ("planned", cast["rep_a"].pk, timezone.localdate() + timedelta(days=7))


def test_log_rules_and_rights_as_the_page(api, cast):
    rep_a = api(cast["rep_a"])
    base = {"kind": "phone", "at": at(1).isoformat(), "summary": "电话"}
    visit = rep_a.post("/api/activities/", {**base, "customer": cast["customer_a"].pk, "kind": "visit"}, format="json")
    assert visit.status_code == 400
    assert error(visit) == {"code": "rule_violated", "message": "请选择拜访层级：领导层、技术层或业务层。"}
    future = rep_a.post("/api/activities/", {**base, "customer": cast["customer_a"].pk, "at": (timezone.now() + timedelta(hours=2)).isoformat()}, format="json")
    assert (future.status_code, error(future)["code"]) == (400, "rule_violated")
    pool = rep_a.post("/api/activities/", {**base, "customer": cast["pool_customer"].pk}, format="json")
    assert (pool.status_code, error(pool)["code"]) == (400, "rule_violated")
    hidden = rep_a.post("/api/activities/", {**base, "customer": cast["customer_b"].pk}, format="json")
    assert (hidden.status_code, error(hidden)["fields"]["customer"][0]["code"]) == (400, "does_not_exist")
    finance = api(cast["finance"]).post("/api/activities/", {**base, "customer": cast["customer_a"].pk}, format="json")
    assert (finance.status_code, error(finance)["code"]) == (403, "permission_denied")
    assert Activity.objects.count() == 0


def test_read_only_token_may_read_but_not_log(cast, logged):
    _token, raw = access_token_create(actor=cast["rep_a"], name="同步", scope="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert len(ids(client.get("/api/activities/"))) == 2
    response = client.post("/api/activities/", {"customer": cast["customer_a"].pk, "kind": "phone", "at": at(1).isoformat(),
                                                "summary": "x"}, format="json")
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert client.post("/api/notifications/read-all/").status_code == 403


# --- planned follow-ups ------------------------------------------------------------------------------

def test_followups_whose_as_on_the_agenda(api, cast, plans):
    rep_a = api(cast["rep_a"])
    assert ids(rep_a.get("/api/followups/")) == [plans["a_overdue"].pk, plans["a_later"].pk]  # by due date
    assert ids(rep_a.get("/api/followups/", {"due": "overdue"})) == [plans["a_overdue"].pk]
    assert ids(rep_a.get("/api/followups/", {"due": "upcoming"})) == [plans["a_later"].pk]
    assert rep_a.get("/api/followups/", {"who": "team"}).status_code == 404
    assert rep_a.get("/api/followups/", {"who": cast["rep_b"].pk}).status_code == 404
    assert rep_a.get(f"/api/followups/{plans['b_today'].pk}/").status_code == 404
    manager = api(cast["manager_a"])
    assert ids(manager.get("/api/followups/")) == []  # "me": the manager holds none
    assert ids(manager.get("/api/followups/", {"who": "team"})) == [plans["a_overdue"].pk, plans["a_later"].pk]
    assert manager.get("/api/followups/", {"who": cast["rep_b"].pk}).status_code == 404
    assert ids(api(cast["admin"]).get("/api/followups/", {"who": "all", "due": "today"})) == [plans["b_today"].pk]
    assert api(cast["finance"]).get("/api/followups/").status_code == 404  # finance has no agenda
    assert rep_a.get("/api/followups/", {"due": "soon"}).status_code == 400


def test_plan_complete_and_cancel_through_the_services(api, cast, plans):
    rep_a = api(cast["rep_a"])
    due = (timezone.localdate() + timedelta(days=1)).isoformat()
    planned = rep_a.post("/api/followups/", {"customer": cast["customer_a"].pk, "kind": "meeting", "due_on": due}, format="json")
    assert planned.status_code == 201, planned.content
    assert (planned.json()["status"], planned.json()["due_on"], planned.json()["at"]) == ("planned", due, None)
    past = rep_a.post("/api/followups/", {"customer": cast["customer_a"].pk, "kind": "phone",
                                          "due_on": (timezone.localdate() - timedelta(days=1)).isoformat()}, format="json")
    assert error(past) == {"code": "rule_violated", "message": "计划跟进的到期日不能早于今天。"}

    done = rep_a.post(f"/api/followups/{plans['a_overdue'].pk}/complete/",
                      {"kind": "phone", "at": at(1).isoformat(), "summary": "已回访"}, format="json")
    assert done.status_code == 201, done.content
    plan = Activity.objects.get(pk=plans["a_overdue"].pk)
    assert (plan.status, plan.completed_by_id) == ("done", done.json()["id"])
    again = rep_a.post(f"/api/followups/{plans['a_overdue'].pk}/complete/",
                       {"kind": "phone", "at": at(1).isoformat(), "summary": "再次"}, format="json")
    assert (again.status_code, error(again)["code"]) == (400, "rule_violated")

    no_reason = rep_a.post(f"/api/followups/{plans['a_later'].pk}/cancel/", {}, format="json")
    assert error(no_reason)["fields"]["reason"][0]["code"] == "required"
    cancelled = rep_a.post(f"/api/followups/{plans['a_later'].pk}/cancel/", {"reason": "客户出差"}, format="json")
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (200, "cancelled", "客户出差")
    assert rep_a.post(f"/api/followups/{plans['b_today'].pk}/cancel/", {"reason": "x"}, format="json").status_code == 404
    finance = api(cast["finance"]).post(f"/api/followups/{plans['b_today'].pk}/cancel/", {"reason": "x"}, format="json")
    assert finance.status_code == 403
    assert Activity.objects.get(pk=plans["b_today"].pk).status == "planned"


# --- notifications ---------------------------------------------------------------------------------

@pytest.fixture
def notes(cast):
    now = timezone.now()
    make = Notification.objects.create
    return {
        "a_due": make(user=cast["rep_a"], kind="followup_due", fact_key="1", customer=cast["customer_a"], params={"summary": "回访"}),
        "a_pool": make(user=cast["rep_a"], kind="pool_warning", fact_key="2", customer=cast["customer_a"],
                       params={"on": "2026-12-31"}, read_at=now),
        "b_due": make(user=cast["rep_b"], kind="followup_due", fact_key="3", customer=cast["customer_b"], params={"summary": "x"}),
    }


def test_notifications_are_the_users_own(api, cast, notes):
    rep_a = api(cast["rep_a"])
    rows = rep_a.get("/api/notifications/").json()["results"]
    assert {r["id"] for r in rows} == {notes["a_due"].pk, notes["a_pool"].pk}
    first = next(r for r in rows if r["id"] == notes["a_due"].pk)
    assert (first["kind"], first["message"], first["read_at"], first["customer"]) == (
        "followup_due", "与 华为技术有限公司 的跟进今日到期：回访", None, cast["customer_a"].pk)
    assert ids(rep_a.get("/api/notifications/", {"unread": "1"})) == [notes["a_due"].pk]
    assert rep_a.post(f"/api/notifications/{notes['b_due'].pk}/read/").status_code == 404
    assert api(cast["admin"]).post(f"/api/notifications/{notes['a_due'].pk}/read/").status_code == 404  # personal, even for the admin
    assert Notification.objects.get(pk=notes["a_due"].pk).read_at is None


def test_mark_read_and_read_all(api, cast, notes):
    rep_a = api(cast["rep_a"])
    read = rep_a.post(f"/api/notifications/{notes['a_due'].pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    Notification.objects.filter(pk=notes["a_due"].pk).update(read_at=None)
    assert rep_a.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert rep_a.post("/api/notifications/read-all/").json() == {"marked": 0}
    assert Notification.objects.get(pk=notes["b_due"].pk).read_at is None  # rep_b's untouched
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    Notification.objects.filter(pk=notes["a_pool"].pk).update(created_at=timezone.now() - timedelta(days=3),
                                                               read_at=timezone.now() - timedelta(days=2))
    assert ids(rep_a.get("/api/notifications/", {"updated_since": since})) == [notes["a_due"].pk]


def test_customer_no_longer_visible_hides_its_activities_and_notifications(api, cast, logged, notes):
    Customer.objects.filter(pk=cast["customer_a"].pk).update(owner=cast["rep_b"])
    rep_a = api(cast["rep_a"])
    assert ids(rep_a.get("/api/activities/")) == []
    assert rep_a.get(f"/api/activities/{logged['a_call'].pk}/").status_code == 404
    assert ids(rep_a.get("/api/notifications/")) == []


def test_lists_run_a_fixed_number_of_queries(api, cast, django_assert_max_num_queries):
    for n in range(6):
        for customer, owner in ((cast["customer_a"], cast["rep_a"]), (cast["customer_b"], cast["rep_b"])):
            Activity.objects.create(customer=customer, owner=owner, kind="phone", status="done", at=at(n + 1), summary=str(n))
            Activity.objects.create(customer=customer, owner=owner, kind="phone", status="planned",
                                    due_on=timezone.localdate() + timedelta(days=n))
            Notification.objects.create(user=cast["admin"], kind="followup_due", fact_key=f"{customer.pk}-{n}", customer=customer)
    admin = api(cast["admin"])
    for url, params, rows in (("/api/activities/", {}, 12), ("/api/followups/", {"who": "all"}, 12), ("/api/notifications/", {}, 12),
                              ("/api/users/", {}, 7), ("/api/teams/", {}, 2), ("/api/products/", {}, 0)):
        with django_assert_max_num_queries(8):
            response = admin.get(url, params)
        assert response.json()["count"] == rows, url


def test_edit_delete_and_reschedule_as_the_page(api, cast, logged, plans):
    url = f"/api/activities/{logged['a_call'].pk}/"
    assert api(cast["rep_b"]).patch(url, {"summary": "x"}, format="json").status_code == 404
    assert api(cast["finance"]).patch(url, {"summary": "x"}, format="json").status_code == 403
    rep_a = api(cast["rep_a"])
    edited = rep_a.patch(url, {"summary": "改过的纪要"}, format="json")
    assert (edited.status_code, edited.json()["summary"]) == (200, "改过的纪要")
    # the author's 7 days are over: a manager still may, the author no longer
    Activity.objects.filter(pk=logged["a_call"].pk).update(created_at=timezone.now() - timedelta(days=8))
    late = rep_a.patch(url, {"summary": "再改"}, format="json")
    assert error(late) == {"code": "rule_violated", "message": "已记录的跟进只能由记录人（7 天内）或经理修改。"}
    assert api(cast["manager_a"]).patch(url, {"summary": "经理改"}, format="json").status_code == 200
    assert rep_a.delete(f"/api/activities/{plans['a_later'].pk}/").json()["error"]["message"] == "计划跟进只能取消，不能删除。"
    assert rep_a.delete(f"/api/activities/{logged['a_visit'].pk}/").status_code == 204
    assert not Activity.objects.filter(pk=logged["a_visit"].pk).exists()
    new_due = timezone.localdate() + timedelta(days=9)
    moved = rep_a.patch(f"/api/followups/{plans['a_later'].pk}/", {"due_on": new_due.isoformat()}, format="json")
    assert (moved.status_code, moved.json()["due_on"]) == (200, new_due.isoformat())
    assert rep_a.patch(f"/api/followups/{plans['b_today'].pk}/", {"due_on": new_due.isoformat()}, format="json").status_code == 404

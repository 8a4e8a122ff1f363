"""The customer timeline: one list, newest first, of activities, planned follow-ups, stage
changes, pool claims and returns, handovers and merges — plus what later apps register."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kehu.accounts.models import User
from kehu.activities import hooks
from kehu.activities.hooks import TimelineEntry
from kehu.activities.models import Activity
from kehu.activities.selectors import customer_timeline
from kehu.activities.services import activity_cancel_planned, activity_log, activity_plan
from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, PoolEvent
from kehu.customers.services import customer_claim, customer_handover, customer_release, customer_set_stage, pool_run_returns

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def ago(**kw):
    return timezone.now() - timedelta(**kw)


def _at(model, obj, moment, field="at"):
    model.objects.filter(pk=obj.pk).update(**{field: moment})


@pytest.fixture
def story(rep_a, rep_a2, manager_a, pool_customer):
    """rep_a claims a pool customer, qualifies it, visits, calls, plans; then it is handed to rep_a2."""
    today = timezone.localdate()
    customer = customer_claim(actor=rep_a, customer=pool_customer)
    _at(PoolEvent, PoolEvent.objects.get(customer=customer, kind="claim"), ago(days=10))
    customer_set_stage(actor=rep_a, customer=customer, stage="prospect")
    _at(AuditEvent, AuditEvent.objects.get(customer=customer, changes__has_key="stage"), ago(days=9))
    buyer = Contact.objects.create(customer=customer, name="采购王")
    plan = activity_plan(actor=rep_a, customer=customer, kind="phone", due_on=today)
    visit = activity_log(actor=rep_a, customer=customer, kind="visit", visit_level="technical", at=ago(days=8),
                         summary="技术交流", outcome="要样品", contact=buyer)
    call = activity_log(actor=rep_a, customer=customer, kind="phone", at=ago(days=2), summary="催样品反馈", fulfils=plan)
    upcoming = activity_plan(actor=rep_a, customer=customer, kind="meeting", due_on=today + timedelta(days=3), summary="商务谈判")
    overdue = Activity.objects.create(customer=customer, owner=rep_a, kind="email", status="planned", due_on=today - timedelta(days=4), summary="发资料")
    dropped = activity_plan(actor=rep_a, customer=customer, kind="visit", due_on=today + timedelta(days=1))
    activity_cancel_planned(actor=rep_a, activity=dropped, reason="客户改期")
    _at(Activity, dropped, ago(days=1), "closed_at")
    customer_handover(actor=manager_a, from_user=rep_a, to_user=rep_a2, customer_ids=[customer.pk], note="rep_a 调岗")
    customer.refresh_from_db()
    return {"customer": customer, "visit": visit, "call": call, "plan": plan, "upcoming": upcoming, "overdue": overdue, "dropped": dropped}


def test_timeline_merges_everything_newest_first(story, rep_a2):
    entries = customer_timeline(customer=story["customer"], user=rep_a2)
    kinds = [e.kind for e in entries]
    assert kinds == ["planned", "handover", "cancelled", "activity", "planned", "activity", "stage", "pool"]
    upcoming, handover, cancelled, call, overdue, visit, stage, claim = entries
    assert (upcoming.label, upcoming.badge, upcoming.text, upcoming.by) == ("Planned: Meeting", "Upcoming", "商务谈判", "rep_a2")
    assert (handover.text, handover.by, handover.extra) == ("rep_a → rep_a2", "manager_a", ["rep_a 调岗"])
    assert (cancelled.text, cancelled.badge) == ("客户改期", "Cancelled")
    assert call.text == "催样品反馈" and call.extra == [f"Fulfils the follow-up due {timezone.localdate().isoformat()}"]
    assert (overdue.label, overdue.badge, overdue.badge_class) == ("Planned: Email", "Overdue", "text-bg-danger")
    assert (visit.label, visit.by, visit.text) == ("Visit · Technical", "rep_a", "技术交流")
    assert visit.extra == ["Contact: 采购王", "Outcome: 要样品"]
    assert (stage.label, stage.text, stage.by) == ("Stage changed", "Target → Prospect", "rep_a")
    assert (claim.label, claim.by) == ("Claimed from the pool", "rep_a")
    # the fulfilled plan is not a separate line: it shows on the call that fulfilled it
    assert all(e.obj is None or e.obj.pk != story["plan"].pk for e in entries)


def test_timeline_shows_a_plan_due_today_above_the_logs_of_today(rep_a, customer_a):
    activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=timezone.localdate())
    activity_log(actor=rep_a, customer=customer_a, kind="phone", at=timezone.now() - timedelta(minutes=1), summary="刚打过")
    first, second = customer_timeline(customer=customer_a, user=rep_a)
    assert (first.kind, first.badge, second.kind) == ("planned", "Due today", "activity")


def test_timeline_shows_releases_and_returns_with_their_reason(rep_a, customer_a, customer_a2, rep_a2, manager_a):
    customer_release(actor=rep_a, customer=customer_a, reason="客户已倒闭")
    entries = customer_timeline(customer=customer_a, user=manager_a)
    assert [(e.label, e.text, e.by) for e in entries] == [("Released to the pool", "客户已倒闭", "rep_a")]
    from kehu.customers.models import Customer

    Customer.objects.filter(pk=customer_a2.pk).update(pool_clock_at=ago(days=200))
    pool_run_returns()
    (entry,) = customer_timeline(customer=customer_a2, user=manager_a)
    assert entry.label == "Returned to the pool automatically" and entry.by == "System"
    assert entry.extra == ["Previous owner: rep_a2"] and "No follow-up for" in entry.text


def test_timeline_is_cut_at_the_limit(rep_a, customer_a):
    for i in range(8):
        activity_log(actor=rep_a, customer=customer_a, kind="phone", at=ago(days=i + 1), summary=f"第{i}次")
    entries = customer_timeline(customer=customer_a, user=rep_a, limit=5)
    assert [e.text for e in entries] == ["第0次", "第1次", "第2次", "第3次", "第4次"]


def test_later_apps_add_entries_through_timeline_sources(rep_a, customer_a, monkeypatch):
    calls = []

    def quotes(*, customer, user, limit):
        calls.append((customer.pk, user.pk, limit))
        return [TimelineEntry(at=ago(hours=1), kind="quote", icon="📄", label="Quote Q1 sent", url="/q/1/")]

    monkeypatch.setattr(hooks, "TIMELINE_SOURCES", [quotes])
    activity_log(actor=rep_a, customer=customer_a, kind="phone", at=ago(days=1), summary="旧的")
    entries = customer_timeline(customer=customer_a, user=rep_a, limit=7)
    assert [e.kind for e in entries] == ["quote", "activity"] and calls == [(customer_a.pk, rep_a.pk, 7)]


def _grow(customer, rep, n):
    """n of every kind of entry on `customer` (handed back and forth between rep and rep_a2)."""
    today = timezone.localdate()
    for i in range(n):
        activity_log(actor=rep, customer=customer, kind="visit", visit_level="business", at=ago(days=30 + i), summary=f"拜访{i}",
                     contact=Contact.objects.create(customer=customer, name=f"联系人{i}"))
        plan = activity_plan(actor=rep, customer=customer, kind="phone", due_on=today + timedelta(days=i))
        if i % 2:
            activity_cancel_planned(actor=rep, activity=plan, reason="改期")
        AuditEvent.objects.create(actor=rep, verb="update", object_type="customer", object_id=customer.pk, customer=customer,
                                  changes={"stage": ["target", "prospect"]})
        AuditEvent.objects.create(actor=rep, verb="handover", object_type="customer", object_id=customer.pk, customer=customer,
                                  changes={"owner": [rep.pk, rep.pk]})
        PoolEvent.objects.create(customer=customer, kind="claim", user=rep, on_date=today)


def test_timeline_runs_a_fixed_number_of_queries(rep_a, manager_a, customer_a, django_assert_num_queries):
    # the manager's team (once per request), open planned, logged + cancelled, audit (stages,
    # handovers, merges), names of the people in handovers, pool events; one per registered
    # source of a later app (quotes, contracts, orders, payments)
    _grow(customer_a, rep_a, 1)
    manager = User.objects.get(pk=manager_a.pk)
    with django_assert_num_queries(6 + len(hooks.TIMELINE_SOURCES)):
        assert len(customer_timeline(customer=customer_a, user=manager)) == 5
    _grow(customer_a, rep_a, 20)
    manager = User.objects.get(pk=manager_a.pk)
    with django_assert_num_queries(6 + len(hooks.TIMELINE_SOURCES)):
        assert len(customer_timeline(customer=customer_a, user=manager)) == 50


def test_timeline_page_and_fragment_run_a_fixed_number_of_queries(rep_a, customer_a, login, django_assert_num_queries):
    client = login(rep_a)
    url = reverse("activities:customer-timeline", args=[customer_a.pk])
    _grow(customer_a, rep_a, 1)
    # session, user, customer + the five of the timeline
    with django_assert_num_queries(8 + len(hooks.TIMELINE_SOURCES)):
        assert client.get(url, **HTMX).status_code == 200
    _grow(customer_a, rep_a, 25)
    with django_assert_num_queries(8 + len(hooks.TIMELINE_SOURCES)):
        assert client.get(url, **HTMX).status_code == 200


def test_customer_page_panel_runs_a_fixed_number_of_queries(rep_a, customer_a, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(rep_a)
    url = reverse("customers:detail", args=[customer_a.pk])
    _grow(customer_a, rep_a, 1)
    client.get(url)  # the first page view makes the company settings row
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _grow(customer_a, rep_a, 20)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_timeline_page_for_everyone_who_sees_the_customer(cast, login):
    activity_log(actor=cast["rep_a"], customer=cast["customer_a"], kind="phone", at=ago(hours=2), summary="看得见吗")
    url = reverse("activities:customer-timeline", args=[cast["customer_a"].pk])
    for who in ("rep_a", "manager_a", "director", "finance", "admin"):
        response = login(cast[who]).get(url)
        assert response.status_code == 200 and "看得见吗" in response.content.decode(), who
    for who in ("rep_a2", "rep_b"):
        assert login(cast[who]).get(url).status_code == 404, who
        assert login(cast[who]).get(url, **HTMX).status_code == 404, who


def test_timeline_fragment_is_the_list_alone(rep_a, customer_a, login):
    activity_log(actor=rep_a, customer=customer_a, kind="wechat", at=ago(hours=2), summary="微信聊了")
    body = login(rep_a).get(reverse("activities:customer-timeline", args=[customer_a.pk]), **HTMX).content.decode()
    assert body.lstrip().startswith('<div id="activity-timeline"') and "微信聊了" in body and "<html" not in body

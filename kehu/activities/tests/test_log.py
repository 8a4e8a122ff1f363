"""Logging follow-ups (跟进记录) from the customer page: who may, the rules, planned
follow-ups, the pool clock, and the pages (htmx and plain POST)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from conftest import make_customer
from kehu.activities import services
from kehu.activities.models import Activity
from kehu.activities.errors import ActivityError
from kehu.activities.services import activity_log, activity_plan
from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer, PoolEvent
from kehu.customers.services import pool_run_returns
from kehu.customers.tests.test_browser import browser  # noqa: F401 (the Chromium fixture)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def contact_a(customer_a):
    return Contact.objects.create(customer=customer_a, name="张经理", phone="13900001111")


def now():
    return timezone.now()


def log(actor, customer, **kw):
    values = {"kind": "phone", "at": now() - timedelta(hours=1), "summary": "谈了报价"}
    values.update(kw)
    return activity_log(actor=actor, customer=customer, **values)


def url(name, customer, **query):
    path = reverse(f"activities:{name}", args=[customer.pk])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- who may log ------------------------------------------------------------------------------

def test_rep_a_logs_a_visit_with_a_planned_followup(rep_a, customer_a, contact_a):
    tomorrow = timezone.localdate() + timedelta(days=1)
    visit = log(rep_a, customer_a, kind="visit", visit_level="leadership", contact=contact_a,
                summary="拜访总经理", outcome="有意向", next_due_on=tomorrow, next_kind="phone", next_summary="发报价")
    visit.refresh_from_db()
    assert (visit.status, visit.owner, visit.created_by, visit.kind, visit.visit_level, visit.contact) == (
        "done", rep_a, rep_a, "visit", "leadership", contact_a)
    assert (visit.summary, visit.outcome, visit.due_on) == ("拜访总经理", "有意向", None)
    plan = Activity.objects.get(planned_by=visit)
    assert (plan.status, plan.due_on, plan.kind, plan.owner, plan.summary, plan.at, plan.contact) == (
        "planned", tomorrow, "phone", rep_a, "发报价", None, contact_a)
    event = AuditEvent.objects.get(object_type="activity", object_id=visit.pk)
    assert event.customer_id == customer_a.pk and event.actor == rep_a and event.verb == "create"
    assert event.changes["kind"] == [None, "visit"] and event.changes["next_due_on"] == [None, tomorrow.isoformat()]


def test_finance_cannot_log(finance, customer_a):
    with pytest.raises(PermissionDenied):
        log(finance, customer_a)
    assert not Activity.objects.exists()


def test_rep_cannot_log_on_a_pool_customer_before_claiming_it(rep_a, pool_customer):
    with pytest.raises(ActivityError, match="Claim it"):
        log(rep_a, pool_customer)
    assert not Activity.objects.exists()


def test_rep_a2_cannot_log_on_rep_a_customer_but_their_manager_and_admin_can(rep_a2, manager_a, director, admin, rep_b, customer_a):
    with pytest.raises(PermissionDenied):
        log(rep_a2, customer_a)
    with pytest.raises(PermissionDenied):
        log(rep_b, customer_a)
    for user in (manager_a, director, admin):
        assert log(user, customer_a).owner == user  # the author is who did it
    assert Activity.objects.filter(customer=customer_a).count() == 3


def test_a_planned_followup_is_owned_by_the_customer_owner_even_when_a_manager_plans_it(manager_a, rep_a, customer_a):
    due = timezone.localdate() + timedelta(days=3)
    plan = activity_plan(actor=manager_a, customer=customer_a, kind="visit", due_on=due, summary="带技术去")
    assert (plan.owner, plan.created_by, plan.status, plan.visit_level) == (rep_a, manager_a, "planned", "")
    logged = log(manager_a, customer_a, next_due_on=due)
    assert Activity.objects.get(planned_by=logged).owner == rep_a


# --- the rules --------------------------------------------------------------------------------

def test_a_visit_needs_its_level_and_other_types_have_none(rep_a, customer_a):
    with pytest.raises(ActivityError) as exc:
        log(rep_a, customer_a, kind="visit")
    assert exc.value.field == "visit_level"
    with pytest.raises(ActivityError) as exc:
        log(rep_a, customer_a, kind="phone", visit_level="technical")
    assert exc.value.field == "visit_level"
    with pytest.raises(ActivityError):
        log(rep_a, customer_a, kind="visit", visit_level="senior")
    with pytest.raises(ActivityError):
        log(rep_a, customer_a, kind="fax")
    assert not Activity.objects.exists()
    for level in ("leadership", "technical", "business"):
        assert log(rep_a, customer_a, kind="visit", visit_level=level).visit_level == level


def test_the_contact_must_belong_to_the_customer(rep_a, customer_a, customer_a2):
    other = Contact.objects.create(customer=customer_a2, name="别家的人")
    with pytest.raises(ActivityError) as exc:
        log(rep_a, customer_a, contact=other)
    assert exc.value.field == "contact"
    gone = Contact.objects.create(customer=customer_a, name="离职的人", is_deleted=True)
    with pytest.raises(ActivityError):
        log(rep_a, customer_a, contact=gone)
    assert not Activity.objects.exists()


def test_the_time_may_not_be_in_the_future_beyond_a_few_minutes(rep_a, customer_a):
    with pytest.raises(ActivityError) as exc:
        log(rep_a, customer_a, at=now() + timedelta(minutes=30))
    assert exc.value.field == "at"
    assert log(rep_a, customer_a, at=now() + timedelta(minutes=3)).pk  # clock skew
    assert log(rep_a, customer_a, at=now() - timedelta(days=400)).pk  # written down late


def test_a_summary_is_required(rep_a, customer_a):
    with pytest.raises(ActivityError) as exc:
        log(rep_a, customer_a, summary="   ")
    assert exc.value.field == "summary"


def test_the_next_followup_cannot_be_due_in_the_past(rep_a, customer_a):
    with pytest.raises(ActivityError) as exc:
        log(rep_a, customer_a, next_due_on=timezone.localdate() - timedelta(days=1))
    assert exc.value.field == "next_due_on"
    assert not Activity.objects.exists()  # nothing half-written
    assert log(rep_a, customer_a, next_due_on=timezone.localdate()).pk  # today is fine


# --- fulfilling a planned follow-up -----------------------------------------------------------

def test_logging_fulfils_a_planned_followup(rep_a, customer_a):
    plan = activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=timezone.localdate())
    done = log(rep_a, customer_a, fulfils=plan)
    plan.refresh_from_db()
    assert (plan.status, plan.completed_by, plan.at) == ("done", done, None)  # never counted as a second follow-up
    assert plan.closed_at is not None
    assert Activity.objects.filter(customer=customer_a, status="done", at__isnull=False).count() == 1
    with pytest.raises(ActivityError, match="no longer open"):
        log(rep_a, customer_a, fulfils=plan)


def test_a_planned_followup_of_another_customer_cannot_be_fulfilled(manager_a, customer_a, customer_a2):
    other = activity_plan(actor=manager_a, customer=customer_a2, kind="phone", due_on=timezone.localdate())
    with pytest.raises(ActivityError):
        log(manager_a, customer_a, fulfils=other)
    other.refresh_from_db()
    assert other.status == "planned" and Activity.objects.filter(customer=customer_a).count() == 0


def test_the_log_form_preselects_the_oldest_planned_followup_due_by_today(rep_a, customer_a, login):
    today = timezone.localdate()
    activity_plan(actor=rep_a, customer=customer_a, kind="visit", due_on=today + timedelta(days=5))  # upcoming: not preselected
    due = activity_plan(actor=rep_a, customer=customer_a, kind="email", due_on=today)
    overdue = Activity.objects.create(customer=customer_a, owner=rep_a, kind="phone", status="planned", due_on=today - timedelta(days=2))
    client = login(rep_a)
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert f'<option value="{overdue.pk}" selected>' in page
    page = client.get(url("activity-log", customer_a, fulfils=due.pk), **HTMX).content.decode()
    assert f'<option value="{due.pk}" selected>' in page
    assert re.search(r'value="email"[^>]*checked', page) and not re.search(r'value="phone"[^>]*checked', page)


# --- the pool clock -----------------------------------------------------------------------------

def test_logging_moves_the_pool_clock_so_the_customer_does_not_return(rep_a, customer_a, customer_a2, rep_a2):
    long_ago = now() - timedelta(days=120)
    Customer.objects.filter(pk__in=[customer_a.pk, customer_a2.pk]).update(
        pool_clock_at=long_ago, owned_since=long_ago, return_warned_at=now() - timedelta(days=10),
    )
    at = now() - timedelta(days=2)
    log(rep_a, customer_a, at=at)
    customer = Customer.objects.get(pk=customer_a.pk)
    assert customer.last_followup_at == at and customer.pool_clock_at == at and customer.return_warned_at is None
    assert pool_run_returns() == 1  # customer_a2, never followed up, goes back
    assert Customer.objects.get(pk=customer_a.pk).owner == rep_a
    assert Customer.objects.get(pk=customer_a2.pk).owner is None
    assert not PoolEvent.objects.filter(customer=customer_a, kind="return").exists()


def test_a_backdated_log_never_moves_the_clock_back(rep_a, customer_a):
    recent = now() - timedelta(days=1)
    Customer.objects.filter(pk=customer_a.pk).update(pool_clock_at=recent, owned_since=recent, last_followup_at=recent)
    log(rep_a, customer_a, at=now() - timedelta(days=30))
    customer = Customer.objects.get(pk=customer_a.pk)
    assert customer.pool_clock_at == recent and customer.last_followup_at == recent


def test_an_old_log_on_a_customer_without_a_clock_does_not_start_it_before_the_ownership(rep_a, customer_a):
    owned = now() - timedelta(days=1)
    Customer.objects.filter(pk=customer_a.pk).update(pool_clock_at=None, owned_since=owned)
    log(rep_a, customer_a, at=now() - timedelta(days=100))
    assert Customer.objects.get(pk=customer_a.pk).pool_clock_at is None
    assert pool_run_returns() == 0


# --- edit, delete, reschedule, cancel -------------------------------------------------------------

def test_the_author_edits_for_seven_days_a_manager_always(rep_a, manager_a, customer_a):
    activity = log(rep_a, customer_a)
    services.activity_update(actor=rep_a, activity=activity, data={"summary": "改过的", "kind": "wechat", "owner": manager_a})
    activity.refresh_from_db()
    assert (activity.summary, activity.kind, activity.owner) == ("改过的", "wechat", rep_a)  # owner is not editable
    Activity.objects.filter(pk=activity.pk).update(created_at=now() - timedelta(days=8))
    activity.refresh_from_db()
    with pytest.raises(ActivityError, match="author"):
        services.activity_update(actor=rep_a, activity=activity, data={"summary": "再改"})
    services.activity_update(actor=manager_a, activity=activity, data={"summary": "经理改"})
    activity.refresh_from_db()
    assert activity.summary == "经理改"
    assert AuditEvent.objects.filter(object_type="activity", object_id=activity.pk, verb="update").count() == 2


def test_rep_b_cannot_change_rep_a_activity(rep_a, rep_b, customer_a):
    activity = log(rep_a, customer_a)
    with pytest.raises(PermissionDenied):
        services.activity_update(actor=rep_b, activity=activity, data={"summary": "x"})
    with pytest.raises(PermissionDenied):
        services.activity_delete(actor=rep_b, activity=activity)


def test_changing_the_time_recomputes_the_clock(rep_a, customer_a):
    owned = now() - timedelta(days=60)
    Customer.objects.filter(pk=customer_a.pk).update(pool_clock_at=owned, owned_since=owned)
    activity = log(rep_a, customer_a, at=now() - timedelta(days=1))
    earlier = now() - timedelta(days=40)
    services.activity_update(actor=rep_a, activity=activity, data={"at": earlier})
    customer = Customer.objects.get(pk=customer_a.pk)
    assert customer.last_followup_at == earlier and customer.pool_clock_at == earlier


def test_deleting_reopens_the_plan_it_fulfilled_and_recomputes_the_clock(rep_a, customer_a):
    owned = now() - timedelta(days=60)
    Customer.objects.filter(pk=customer_a.pk).update(pool_clock_at=owned, owned_since=owned)
    plan = activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=timezone.localdate())
    first = log(rep_a, customer_a, at=now() - timedelta(days=20))
    second = log(rep_a, customer_a, fulfils=plan)
    services.activity_delete(actor=rep_a, activity=second)
    plan.refresh_from_db()
    assert (plan.status, plan.completed_by, plan.closed_at) == ("planned", None, None)
    customer = Customer.objects.get(pk=customer_a.pk)
    assert customer.last_followup_at == first.at and customer.pool_clock_at == first.at
    event = AuditEvent.objects.get(object_type="activity", object_id=second.pk, verb="remove")
    assert event.changes["summary"] == ["谈了报价", None]  # the history keeps what it said
    with pytest.raises(ActivityError, match="cancelled, not deleted"):
        services.activity_delete(actor=rep_a, activity=plan)


def test_a_planned_followup_is_rescheduled_or_cancelled_with_a_reason(rep_a, customer_a):
    plan = activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=timezone.localdate())
    later = timezone.localdate() + timedelta(days=7)
    services.activity_update(actor=rep_a, activity=plan, data={"due_on": later, "at": now()})
    plan.refresh_from_db()
    assert plan.due_on == later and plan.at is None
    with pytest.raises(ActivityError):
        services.activity_update(actor=rep_a, activity=plan, data={"due_on": timezone.localdate() - timedelta(days=1)})
    with pytest.raises(ActivityError) as exc:
        services.activity_cancel_planned(actor=rep_a, activity=plan, reason=" ")
    assert exc.value.field == "reason"
    services.activity_cancel_planned(actor=rep_a, activity=plan, reason="客户出差")
    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason) == ("cancelled", "客户出差") and plan.closed_at
    with pytest.raises(ActivityError, match="closed"):
        services.activity_update(actor=rep_a, activity=plan, data={"summary": "x"})


# --- the pages ----------------------------------------------------------------------------------

def _post_data(**kw):
    data = {"kind": "phone", "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "summary": "电话沟通交期"}
    data.update(kw)
    return data


def test_htmx_log_swaps_the_panel_and_resets_the_form(rep_a, customer_a, contact_a, login):
    client = login(rep_a)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url("activity-log", customer_a), _post_data(
        kind="visit", visit_level="technical", contact=contact_a.pk, next_due_on=tomorrow, next_kind="phone", next_summary="回访"), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="activity-panel"' in body and "Follow-up logged." in body
    assert "电话沟通交期" in body  # in the timeline
    assert "电话沟通交期</textarea>" not in body  # the form is empty again
    assert '<details class="kehu-fold" data-testid="log-fold">' in body  # and folded
    assert "回访" in body and "Upcoming" in body  # the planned follow-up is listed
    activity = Activity.objects.get(status="done")
    assert (activity.kind, activity.visit_level, activity.contact) == ("visit", "technical", contact_a)


def test_htmx_log_with_a_mistake_shows_it_in_the_open_form(rep_a, customer_a, login):
    response = login(rep_a).post(url("activity-log", customer_a), _post_data(kind="visit"), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "Say at which level the visit was" in body
    assert '<details class="kehu-fold" open data-testid="log-fold">' in body
    assert "电话沟通交期</textarea>" in body  # what was typed is kept
    assert not Activity.objects.exists()


def test_a_level_picked_before_switching_to_phone_is_dropped(rep_a, customer_a, login):
    login(rep_a).post(url("activity-log", customer_a), _post_data(kind="phone", visit_level="business"))
    assert Activity.objects.get().visit_level == ""


def test_plain_post_logs_and_redirects_back_to_the_customer(rep_a, customer_a, login):
    client = login(rep_a)
    response = client.post(url("activity-log", customer_a), _post_data())
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[customer_a.pk]) + "#activities"
    page = client.get(response["Location"]).content.decode()
    assert "Follow-up logged." in page and "电话沟通交期" in page
    assert client.get(url("activity-log", customer_a)).status_code == 200  # the form as a page, without JavaScript


def test_plain_post_with_a_mistake_shows_the_form_page(rep_a, customer_a, login):
    response = login(rep_a).post(url("activity-log", customer_a), _post_data(summary=""))
    assert response.status_code == 200 and "log-form" in response.content.decode()
    assert not Activity.objects.exists()


def test_finance_sees_the_timeline_but_is_sent_back_from_the_log_form(finance, rep_a, customer_a, login):
    log(rep_a, customer_a, summary="只读可见")
    client = login(finance)
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert "只读可见" in page and 'data-testid="log-form"' not in page
    response = client.post(url("activity-log", customer_a), _post_data())
    assert response.status_code == 302 and Activity.objects.count() == 1
    assert "You may not log follow-ups" in client.get(response["Location"]).content.decode()


def test_htmx_refusal_sends_the_whole_page_back_not_into_the_panel(finance, customer_a, login):
    response = login(finance).get(url("activity-log", customer_a), **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("customers:detail", args=[customer_a.pk]) + "#activities"


def test_plan_page_and_htmx_plan(rep_a, customer_a, login):
    client = login(rep_a)
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(url("activity-plan", customer_a), {"kind": "meeting", "due_on": due, "summary": "开评审会"}, **HTMX)
    assert response.status_code == 200 and "开评审会" in response.content.decode()
    assert Activity.objects.get().status == "planned"
    response = client.post(url("activity-plan", customer_a), {"kind": "phone", "due_on": "2000-01-01"})
    assert response.status_code == 200 and "cannot be due in the past" in response.content.decode()


def test_done_action_presets_the_log_form_and_fulfils_the_plan(rep_a, customer_a, contact_a, login):
    plan = activity_plan(actor=rep_a, customer=customer_a, kind="wechat", due_on=timezone.localdate() + timedelta(days=4), contact=contact_a)
    client = login(rep_a)
    body = client.get(url("activity-log", customer_a, fulfils=plan.pk), **HTMX).content.decode()
    assert f'<option value="{plan.pk}" selected>' in body and f'<option value="{contact_a.pk}" selected>' in body
    client.post(url("activity-log", customer_a), _post_data(kind="wechat", fulfils=plan.pk, contact=contact_a.pk), **HTMX)
    plan.refresh_from_db()
    assert plan.status == "done" and plan.completed_by.summary == "电话沟通交期"


def test_edit_delete_and_cancel_pages(rep_a, customer_a, login):
    client = login(rep_a)
    activity = log(rep_a, customer_a)
    plan = activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=timezone.localdate())
    assert client.get(url("activity-edit", customer_a)).status_code == 302  # no activity named: back to the customer
    assert client.get(url("activity-edit", customer_a, activity=activity.pk)).status_code == 200
    client.post(url("activity-edit", customer_a), {"activity": activity.pk, "kind": "email", "summary": "发了邮件",
                                                    "at": timezone.localtime(activity.at).strftime("%Y-%m-%dT%H:%M")})
    activity.refresh_from_db()
    assert (activity.kind, activity.summary) == ("email", "发了邮件")
    assert "Cancel this planned follow-up?" in client.get(url("activity-cancel", customer_a, activity=plan.pk)).content.decode()
    response = client.post(url("activity-cancel", customer_a), {"activity": plan.pk, "reason": ""})
    assert response.status_code == 200 and Activity.objects.get(pk=plan.pk).status == "planned"
    client.post(url("activity-cancel", customer_a), {"activity": plan.pk, "reason": "不需要了"})
    assert Activity.objects.get(pk=plan.pk).status == "cancelled"
    assert "Delete this follow-up?" in client.get(url("activity-delete", customer_a, activity=activity.pk)).content.decode()
    assert Activity.objects.filter(pk=activity.pk).exists()  # GET only asks
    client.post(url("activity-delete", customer_a), {"activity": activity.pk})
    assert not Activity.objects.filter(pk=activity.pk).exists()


ROUTES = ["activity-log", "activity-plan", "customer-timeline", "activity-edit", "activity-delete", "activity-cancel"]


def test_rep_b_gets_404_on_every_activity_url_for_rep_a_customer(rep_a, rep_b, customer_a, login):
    activity = log(rep_a, customer_a)
    plan = activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=timezone.localdate())
    client = login(rep_b)
    before = Activity.objects.count(), AuditEvent.objects.count()
    for name in ROUTES:
        for query in ({}, {"activity": activity.pk}, {"activity": plan.pk}, {"fulfils": plan.pk}):
            assert client.get(url(name, customer_a, **query)).status_code == 404, (name, query)
            assert client.get(url(name, customer_a, **query), **HTMX).status_code == 404, (name, query)
        if name != "customer-timeline":
            data = _post_data(activity=activity.pk, reason="x", due_on=timezone.localdate().isoformat())
            assert client.post(url(name, customer_a), data).status_code == 404, name
    assert (Activity.objects.count(), AuditEvent.objects.count()) == before


def test_an_activity_of_another_customer_is_404_through_my_own_customer(rep_a, rep_b, customer_a, customer_b, login):
    theirs = log(rep_b, customer_b)
    client = login(rep_a)
    for name in ("activity-edit", "activity-delete", "activity-cancel"):
        assert client.get(url(name, customer_a, activity=theirs.pk)).status_code == 404
        assert client.post(url(name, customer_a), {"activity": theirs.pk, "summary": "x", "reason": "x"}).status_code == 404
    assert client.get(url("activity-log", customer_a, fulfils=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.summary == "谈了报价" and Activity.objects.filter(pk=theirs.pk).exists()


def test_rep_a_cannot_edit_what_the_manager_logged_on_their_customer(rep_a, manager_a, customer_a, login):
    activity = log(manager_a, customer_a, summary="经理拜访")
    client = login(rep_a)
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert "经理拜访" in page and f"activity={activity.pk}" not in page  # no edit link
    response = client.post(url("activity-edit", customer_a), {"activity": activity.pk, "kind": "phone", "summary": "改",
                                                               "at": timezone.localtime(activity.at).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert Activity.objects.get(pk=activity.pk).summary == "经理拜访"


def test_a_pool_customer_page_says_claim_first(rep_a, pool_customer, login):
    page = login(rep_a).get(reverse("customers:detail", args=[pool_customer.pk])).content.decode()
    assert "claim it to log follow-ups" in page and 'data-testid="log-form"' not in page


def test_a_customer_made_for_the_test_gets_its_own_panel(rep_a, login):
    customer = make_customer(rep_a, "测试面板有限公司", "C09001")
    page = login(rep_a).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="activity-panel"' in page and "Nothing has happened with this customer yet." in page


# --- in a real browser -------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rep_logs_a_visit_with_a_planned_followup_in_a_browser_without_a_page_reload(browser, live_server, cast):
    from kehu.customers.tests.test_browser import SHOTS, _login

    rep_a, customer = cast["rep_a"], cast["customer_a"]
    rep_a.language = "en"
    rep_a.save(update_fields=["language"])
    Contact.objects.create(customer=customer, name="张经理")
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    _login(page, live_server.url, "rep_a")
    page.goto(f"{live_server.url}{reverse('customers:detail', args=[customer.pk])}")
    page.evaluate("window.__sameDocument = true")
    page.click("[data-testid=log-fold] > summary")
    assert not page.is_visible(".kehu-visit-level")  # a phone call has no level
    page.click("label[for=id_log_kind_1]")  # visit
    assert page.is_visible(".kehu-visit-level")
    page.select_option("#id_log_visit_level", "leadership")
    page.select_option("#id_log_contact", label="张经理")
    page.fill("#id_log_summary", "拜访总经理，确认年度框架")
    due = timezone.localdate() + timedelta(days=3)
    page.fill("#id_log_next_due_on", due.isoformat())
    page.fill("#id_log_next_summary", "发报价单")
    page.click("[data-testid=log-form] button[type=submit]")
    page.wait_for_selector("[data-testid=panel-message]")
    assert page.evaluate("window.__sameDocument") is True  # htmx swapped the panel; no reload
    assert page.input_value("#id_log_summary") == ""  # the form is reset
    timeline = page.inner_text("[data-testid=timeline]")
    assert "拜访总经理，确认年度框架" in timeline and "Visit · Leadership" in timeline
    assert "发报价单" in page.inner_text("[data-testid=planned]")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#activity-panel").screenshot(path=str(SHOTS / "activity-panel-phone.png"))
    visit = Activity.objects.get(status="done")
    assert (visit.kind, visit.visit_level, visit.contact.name) == ("visit", "leadership", "张经理")
    assert Activity.objects.get(status="planned").due_on == due
    # the plan form (its own element ids on the same page) posts through htmx too
    later = due + timedelta(days=4)
    page.click("[data-testid=plan-fold] > summary")
    page.fill("#id_plan_due_on", later.isoformat())
    page.fill("#id_plan_summary", "回访样品")
    page.click("[data-testid=plan-form] button[type=submit]")
    page.wait_for_selector("[data-testid=panel-message]:has-text('2')")
    assert page.evaluate("window.__sameDocument") is True
    assert "回访样品" in page.inner_text("[data-testid=planned]")
    assert Activity.objects.filter(status="planned", due_on=later, summary="回访样品").exists()
    page.close()


# --- the two forms on one page (issue 10, item 22) -------------------------------------------------

def _ids(html: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', html)


def test_rep_sees_the_log_and_plan_forms_with_distinct_element_ids(rep_a, customer_a, contact_a, login):
    client = login(rep_a)
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    panel = page[page.index('id="activity-panel"'):]
    panel = panel[: panel.index("</section>")]
    ids = _ids(panel)
    assert ids and len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert 'id="id_log_summary"' in panel and 'id="id_plan_summary"' in panel
    # every label points at its own form's field
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', panel):
        assert target in ids
    # the field names the posts send are unchanged
    assert 'name="summary"' in panel and 'name="due_on"' in panel and 'name="next_due_on"' in panel


def test_htmx_plan_still_posts_and_swaps_the_panel(rep_a, customer_a, login):
    client = login(rep_a)
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = client.post(url("activity-plan", customer_a), {"kind": "phone", "due_on": due, "summary": "Call back"}, **HTMX)
    assert response.status_code == 200 and 'id="activity-panel"' in response.content.decode()
    assert Activity.objects.get(status="planned").summary == "Call back"

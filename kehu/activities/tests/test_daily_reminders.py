"""`kehu daily` reminder and alert steps: due, overdue, key-account visits, pool notices, digest.

Each is told once per fact: running the command twice creates nothing new.
"""

import json
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from kehu.accounts.models import User
from kehu.activities import hooks, notifications
from kehu.activities.models import Activity, Notification
from kehu.core.hooks import DAILY_STEPS, DailyStep, Hook, daily_step_register, daily_steps
from kehu.core.models import CompanySettings
from kehu.customers.models import Customer, PoolEvent

NEW_KEYS = ["followups_due", "followups_overdue", "visits_overdue", "pool_notices", "digests"]



def run_json(*args) -> dict:
    out = StringIO()
    call_command("daily", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def planned(customer, owner, due_on, **extra):
    return Activity.objects.create(customer=customer, owner=owner, status="planned", due_on=due_on, kind=extra.pop("kind", "phone"), **extra)


def visit(customer, owner, day, level="business"):
    at = timezone.make_aware(datetime.combine(day, time(10, 0)))
    return Activity.objects.create(customer=customer, owner=owner, status="done", at=at, kind="visit", visit_level=level, summary="visit")


def keys(user, kind=None):
    qs = Notification.objects.filter(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    return sorted(qs.values_list("fact_key", flat=True))


def test_steps_are_registered_once_in_order_with_the_digest_last():
    from kehu.activities import wiring

    wiring.register()
    wiring.register()
    names = [step.key for step in daily_steps()]
    assert names[:3] == ["ranking_runs", "pool_warnings", "pool_returns"]
    assert [n for n in names if n in NEW_KEYS] == NEW_KEYS
    assert len(names) == len(set(names))
    assert names[-1] == "digests"


def test_a_later_app_step_runs_before_the_digest():
    try:
        daily_step_register(DailyStep("approvals", "Approvals waiting", lambda *, now: 0, order=60))
        daily_step_register(DailyStep("approvals", "Approvals waiting", lambda *, now: 0, order=60))
        names = [step.key for step in daily_steps()]
        assert names[-2:] == ["approvals", "digests"] and names.count("approvals") == 1
    finally:
        DAILY_STEPS.unregister("approvals")
    assert "approvals" not in DAILY_STEPS.keys()


def test_daily_json_keys_and_their_order_are_pinned(db):
    assert list(run_json()) == [
        "ranking_runs", "pool_warnings", "pool_returns", "activity_months", "jobs",
        "followups_due", "followups_overdue", "visits_overdue",
        "pool_notices", "webhooks",
        "forecast_carry_forward", "forecast_reminders", "source_cells", "stage_months", "revenue_months", "anomaly_alerts", "digests",
    ]


def test_a_failing_step_does_not_stop_the_others_and_the_command_names_it(request, db):
    from django.core.management import CommandError

    def broken(*, now):
        raise RuntimeError("boom")

    daily_step_register(DailyStep("broken_step", "Broken", broken, order=25))
    request.addfinalizer(lambda: DAILY_STEPS.unregister("broken_step"))
    out = StringIO()
    with pytest.raises(CommandError, match="broken_step"):
        call_command("daily", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["broken_step"] is None
    assert list(result)[:4] == ["ranking_runs", "pool_warnings", "broken_step", "pool_returns"]
    assert all(result[k] is not None for k in result if k != "broken_step") and list(result)[-1] == "digests"


def test_rep_is_told_of_a_follow_up_due_today_once(rep_a, customer_a, manager_a):
    today = timezone.localdate()
    due = planned(customer_a, rep_a, today, summary="Send the quote")
    planned(customer_a, rep_a, today + timedelta(days=1))  # tomorrow: not yet
    result = run_json()
    assert result["followups_due"] == 1
    assert keys(rep_a) == [f"activity:{due.pk}:due"]
    assert keys(manager_a) == []  # due today is the owner's business
    n = Notification.objects.get(user=rep_a)
    assert n.customer == customer_a and n.url == reverse("activities:activity-log", args=[customer_a.pk]) + f"?fulfils={due.pk}"
    assert notifications.notification_message(n) == f"Follow-up with {customer_a.name} is due today: Send the quote"
    assert run_json()["followups_due"] == 0
    assert Notification.objects.count() == 1


def test_overdue_follow_up_tells_owner_and_team_managers_once(rep_a, customer_a, manager_a, director, rep_b):
    today = timezone.localdate()
    late = planned(customer_a, rep_a, today - timedelta(days=2))
    assert run_json()["followups_overdue"] == 3  # rep_a, manager_a, director (team A)
    fact = f"activity:{late.pk}:overdue"
    assert keys(rep_a) == keys(manager_a) == keys(director) == [fact]
    assert keys(rep_b) == []
    # the next days: not again
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert run_json("--now", tomorrow)["followups_overdue"] == 0
    assert Notification.objects.filter(kind="followup_overdue").count() == 3
    manager_note = Notification.objects.get(user=manager_a)
    assert notifications.notification_message(manager_note) == (
        f"rep_a missed a follow-up with {customer_a.name} due on {late.due_on.isoformat()}"
    )
    assert "Your follow-up" in notifications.notification_message(Notification.objects.get(user=rep_a))


def test_done_or_cancelled_or_deleted_follow_ups_are_not_reminded(rep_a, customer_a, customer_a2, rep_a2):
    today = timezone.localdate()
    logged = Activity.objects.create(customer=customer_a, owner=rep_a, status="done", at=timezone.now(), kind="phone")
    Activity.objects.create(customer=customer_a, owner=rep_a, status="done", due_on=today - timedelta(days=1), completed_by=logged)
    Activity.objects.create(customer=customer_a, owner=rep_a, status="cancelled", due_on=today, cancel_reason="no need")
    planned(customer_a2, rep_a2, today)
    Customer.objects.filter(pk=customer_a2.pk).update(is_deleted=True)
    result = run_json()
    assert result["followups_due"] == result["followups_overdue"] == 0
    assert not Notification.objects.exists()


def test_long_overdue_follow_ups_are_not_dug_up(rep_a, customer_a):
    planned(customer_a, rep_a, timezone.localdate() - timedelta(days=notifications.OVERDUE_LOOKBACK_DAYS + 1))
    assert run_json()["followups_overdue"] == 0


def test_inactive_owner_is_not_told_but_managers_are(rep_a, customer_a, manager_a):
    planned(customer_a, rep_a, timezone.localdate() - timedelta(days=1))
    User.objects.filter(pk=rep_a.pk).update(is_active=False)
    run_json()
    assert keys(rep_a) == [] and len(keys(manager_a)) == 1


def _key_account(customer, days_owned=400):
    since = timezone.now() - timedelta(days=days_owned)
    Customer.objects.filter(pk=customer.pk).update(is_key_account=True, owned_since=since, created_at=since)


def test_key_account_visit_overdue_once_per_spell(rep_a, customer_a, manager_a, customer_b, rep_b):
    conf = CompanySettings.load()
    conf.key_account_visit_days = 30
    conf.save()
    today = timezone.localdate()
    _key_account(customer_a)
    _key_account(customer_b)
    old = today - timedelta(days=31)
    visit(customer_a, rep_a, old, "leadership")
    visit(customer_b, rep_b, today - timedelta(days=30))  # exactly the interval: not yet overdue
    assert run_json()["visits_overdue"] == 2  # rep_a and manager_a (team B has no manager here)
    fact = f"customer:{customer_a.pk}:visit:{old.isoformat()}"
    assert keys(rep_a, Notification.Kind.VISIT_OVERDUE) == keys(manager_a, Notification.Kind.VISIT_OVERDUE) == [fact]
    assert keys(rep_b, Notification.Kind.VISIT_OVERDUE) == []
    n = Notification.objects.get(user=manager_a)
    assert notifications.notification_message(n) == (
        f"Key account {customer_a.name}: last visit on {old.isoformat()}, the interval is 30 days (owner: rep_a)"
    )

    # three days later: customer_b's spell starts; customer_a's is the same spell, not told again
    later = (today + timedelta(days=3)).isoformat()
    assert run_json("--now", later)["visits_overdue"] == 1
    assert run_json("--now", later)["visits_overdue"] == 0
    assert keys(rep_b, Notification.Kind.VISIT_OVERDUE) == [f"customer:{customer_b.pk}:visit:{(today - timedelta(days=30)).isoformat()}"]
    assert keys(rep_a, Notification.Kind.VISIT_OVERDUE) == [fact]

    # a visit ends customer_a's spell; when it is overdue again, it is told again
    visit(customer_a, rep_a, today, "technical")
    assert run_json("--now", (today + timedelta(days=20)).isoformat())["visits_overdue"] == 0
    assert run_json("--now", (today + timedelta(days=31)).isoformat())["visits_overdue"] == 2
    assert keys(rep_a, Notification.Kind.VISIT_OVERDUE) == sorted([fact, f"customer:{customer_a.pk}:visit:{today.isoformat()}"])


def test_never_visited_key_account_counts_from_the_start_of_ownership(rep_a, customer_a, customer_a2, rep_a2):
    _key_account(customer_a, days_owned=40)
    _key_account(customer_a2, days_owned=10)
    assert run_json()["visits_overdue"] == 1
    assert keys(rep_a) == [f"customer:{customer_a.pk}:visit:never"]
    assert keys(rep_a2) == []
    assert "has not been visited" in notifications.notification_message(Notification.objects.get(user=rep_a))


def test_ordinary_customers_and_pool_key_accounts_raise_no_visit_alert(rep_a, customer_a, pool_customer):
    Customer.objects.filter(pk=customer_a.pk).update(owned_since=timezone.now() - timedelta(days=400))
    _key_account(pool_customer)
    assert run_json()["visits_overdue"] == 0


def test_tier_policy_intervals_come_from_the_providers(monkeypatch, rep_a, customer_a, customer_a2, rep_a2):
    _key_account(customer_a)
    _key_account(customer_a2)
    visit(customer_a, rep_a, timezone.localdate() - timedelta(days=45))
    visit(customer_a2, rep_a2, timezone.localdate() - timedelta(days=45))
    # a strategic tier: every 60 days; customer_a2's tier needs no visits
    monkeypatch.setattr(hooks, "VISIT_INTERVAL_PROVIDERS", [lambda *, customer_ids: {customer_a.pk: 60, customer_a2.pk: 0}])
    assert run_json()["visits_overdue"] == 0
    monkeypatch.setattr(hooks, "VISIT_INTERVAL_PROVIDERS", [lambda *, customer_ids: {customer_a.pk: 40}])
    assert run_json()["visits_overdue"] == 2  # customer_a by its tier (40), customer_a2 by the company default (30)


def test_pool_return_tells_the_former_owner_and_a_warning_the_owner(rep_a, customer_a, customer_a2, rep_a2, manager_a):
    conf = CompanySettings.load()
    conf.pool_return_days, conf.pool_warning_days = 90, 7
    conf.save()
    Customer.objects.filter(pk=customer_a.pk).update(pool_clock_at=timezone.now() - timedelta(days=120))
    Customer.objects.filter(pk=customer_a2.pk).update(pool_clock_at=timezone.now() - timedelta(days=86))
    result = run_json()
    assert result["pool_returns"] == 1 and result["pool_warnings"] == 1
    assert result["pool_notices"] == 2
    ret = PoolEvent.objects.get(kind="return")
    warn = PoolEvent.objects.get(kind="warning")
    assert keys(rep_a, "pool_return") == [f"poolevent:{ret.pk}"]
    assert keys(rep_a2, "pool_warning") == [f"poolevent:{warn.pk}"]
    assert keys(manager_a) == []
    returns_on = (timezone.localdate() + timedelta(days=4)).isoformat()
    assert notifications.notification_message(Notification.objects.get(user=rep_a2)) == (
        f"{customer_a2.name} goes back to the public pool on {returns_on} unless you follow up"
    )
    n = Notification.objects.get(user=rep_a)
    assert notifications.notification_message(n) == f"{customer_a.name} went back to the public pool on {timezone.localdate().isoformat()}"
    assert notifications.notification_detail(n) == "No follow-up for 120 days"  # stored as a key, read in English here
    with translation.override("zh-hans"):
        assert notifications.notification_detail(n) == "已 120 天未跟进"
    assert run_json()["pool_notices"] == 0


def test_old_pool_events_and_claims_are_not_notified(rep_a, customer_a):
    old = timezone.localdate() - timedelta(days=notifications.POOL_EVENT_LOOKBACK_DAYS + 1)
    PoolEvent.objects.create(customer=customer_a, kind="return", user=rep_a, on_date=old)
    PoolEvent.objects.create(customer=customer_a, kind="claim", user=rep_a, on_date=timezone.localdate())
    assert run_json()["pool_notices"] == 0


def test_daily_twice_creates_nothing_new(cast, manager_a, director):
    rep_a, customer_a, customer_b, rep_b = cast["rep_a"], cast["customer_a"], cast["customer_b"], cast["rep_b"]
    today = timezone.localdate()
    planned(customer_a, rep_a, today)
    planned(customer_a, rep_a, today - timedelta(days=3))
    planned(customer_b, rep_b, today - timedelta(days=1))
    _key_account(customer_b)
    Customer.objects.filter(pk=cast["customer_a2"].pk).update(pool_clock_at=timezone.now() - timedelta(days=200))
    conf = CompanySettings.load()
    conf.send_daily_digest = True
    conf.save()
    User.objects.filter(username__in=["rep_a", "rep_b"]).update(email="x@example.com")
    first = run_json()
    assert all(first[k] > 0 for k in NEW_KEYS), first
    rows = list(Notification.objects.order_by("pk").values_list("pk", "user_id", "kind", "fact_key", "emailed_at"))
    outbox = len(mail.outbox)
    second = run_json()
    assert all(second[k] == 0 for k in NEW_KEYS), second
    assert list(Notification.objects.order_by("pk").values_list("pk", "user_id", "kind", "fact_key", "emailed_at")) == rows
    assert len(mail.outbox) == outbox


def test_notify_is_idempotent_and_notify_bulk_counts_only_new(rep_a, customer_a):
    first = notifications.notify(user=rep_a, kind="anomaly", fact_key="x:1", customer=customer_a, params={"a": 1})
    assert first is not None
    assert notifications.notify(user=rep_a, kind="anomaly", fact_key="x:1", customer=customer_a) is None
    rows = [Notification(user_id=rep_a.pk, kind="anomaly", fact_key=f"x:{i}") for i in (1, 2, 2, 3)]
    assert notifications.notify_bulk(rows) == 2
    assert keys(rep_a) == ["x:1", "x:2", "x:3"]


# --- the digest ------------------------------------------------------------------------------

@pytest.fixture
def digest_on(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    conf = CompanySettings.load()
    conf.send_daily_digest = True
    conf.save()


def test_digest_is_off_by_default(settings, rep_a, customer_a):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    User.objects.filter(pk=rep_a.pk).update(email="rep_a@example.com")
    planned(customer_a, rep_a, timezone.localdate())
    assert run_json()["digests"] == 0
    assert mail.outbox == []


def test_digest_sent_once_in_the_users_language(digest_on, rep_a, rep_a2, customer_a, customer_a2, manager_a):
    User.objects.filter(pk=rep_a.pk).update(email="rep_a@example.com", language="en")
    User.objects.filter(pk=rep_a2.pk).update(email="rep_a2@example.com", language="zh-hans")
    # manager_a has no e-mail address: no digest
    today = timezone.localdate()
    planned(customer_a, rep_a, today, summary="Call about the sample")
    planned(customer_a2, rep_a2, today - timedelta(days=1))
    result = run_json()
    assert result["digests"] == 2
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {"rep_a@example.com", "rep_a2@example.com"}
    english = by_to["rep_a@example.com"]
    assert english.subject == "Kehu: 1 new notification"
    assert f"Follow-up with {customer_a.name} is due today: Call about the sample" in english.body
    assert f"/customers/{customer_a.pk}/" in english.body
    assert customer_a2.name in by_to["rep_a2@example.com"].body
    assert not Notification.objects.filter(user__in=[rep_a, rep_a2], emailed_at__isnull=True).exists()
    assert Notification.objects.filter(user=manager_a, emailed_at__isnull=True).exists()

    assert run_json()["digests"] == 0
    assert len(mail.outbox) == 2


def test_digest_is_written_in_each_users_language(digest_on, monkeypatch, rep_a, rep_a2, customer_a, customer_a2):
    monkeypatch.setattr(hooks, "NOTIFICATION_RENDERERS", Hook("test"))
    hooks.NOTIFICATION_RENDERERS.register(lambda n: f"read in {translation.get_language()}", key="anomaly")
    User.objects.filter(pk=rep_a.pk).update(email="rep_a@example.com", language="en")
    User.objects.filter(pk=rep_a2.pk).update(email="rep_a2@example.com", language="zh-hans")
    notifications.notify(user=rep_a, kind="anomaly", fact_key="a", customer=customer_a)
    notifications.notify(user=rep_a2, kind="anomaly", fact_key="a", customer=customer_a2)
    assert run_json()["digests"] == 2
    by_to = {m.to[0]: m.body for m in mail.outbox}
    assert "read in en" in by_to["rep_a@example.com"]
    assert "read in zh-hans" in by_to["rep_a2@example.com"]


def test_digest_leaves_out_what_was_read_or_is_hidden(digest_on, rep_a, customer_a, customer_b, rep_b):
    User.objects.filter(pk=rep_a.pk).update(email="rep_a@example.com", language="en")
    read = notifications.notify(user=rep_a, kind="anomaly", fact_key="read", customer=customer_a)
    read.read_at = timezone.now()
    read.save()
    notifications.notify(user=rep_a, kind="anomaly", fact_key="hidden", customer=customer_b)  # not rep_a's customer
    assert run_json()["digests"] == 0
    fresh = notifications.notify(user=rep_a, kind="anomaly", fact_key="fresh", customer=customer_a)
    assert run_json()["digests"] == 1
    assert len(mail.outbox) == 1 and "Anomaly" in mail.outbox[0].body
    fresh.refresh_from_db()
    assert fresh.emailed_at is not None


def test_failed_digest_is_tried_again(digest_on, monkeypatch, rep_a, customer_a):
    User.objects.filter(pk=rep_a.pk).update(email="rep_a@example.com")
    planned(customer_a, rep_a, timezone.localdate())

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(notifications, "send_mail", broken)
    assert run_json()["digests"] == 0
    assert Notification.objects.get(user=rep_a).emailed_at is None
    monkeypatch.undo()
    assert run_json()["digests"] == 1

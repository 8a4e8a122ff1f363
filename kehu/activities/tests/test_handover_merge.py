"""Activities at a handover (planned follow-ups move, history stays) and at a merge (all move)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_customer
from kehu.activities.models import Activity
from kehu.activities.services import activity_log, activity_plan
from kehu.customers import hooks
from kehu.customers.models import Customer
from kehu.customers.services import customer_handover, customer_merge
from kehu.customers.services.handover import handover_related_counts


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def ago(**kw):
    return timezone.now() - timedelta(**kw)


def test_wiring_registers_the_movers_once():
    from kehu.activities import services, wiring

    wiring.register()
    wiring.register()
    assert list(hooks.HANDOVER_MOVERS).count(services.planned_followups_hand_over) == 1
    assert list(hooks.HANDOVER_COUNTERS).count(services.planned_followups_count) == 1
    assert list(hooks.MERGE_MOVERS).count(services.activities_merge) == 1


def test_handover_moves_planned_followups_and_keeps_the_history(manager_a, rep_a, rep_a2, customer_a, customer_a2):
    today = timezone.localdate()
    visit = activity_log(actor=rep_a, customer=customer_a, kind="visit", visit_level="leadership", at=ago(days=3),
                         summary="见了老板", next_due_on=today + timedelta(days=2))
    extra = activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=today)
    cancelled = activity_plan(actor=rep_a, customer=customer_a, kind="email", due_on=today)
    Activity.objects.filter(pk=cancelled.pk).update(status="cancelled", cancel_reason="x")
    untouched = activity_plan(actor=rep_a2, customer=customer_a2, kind="phone", due_on=today)

    assert handover_related_counts(from_user=rep_a, customer_ids=[customer_a.pk]) == {"Planned follow-ups": 2}
    handover = customer_handover(actor=manager_a, from_user=rep_a, to_user=rep_a2, customer_ids=[customer_a.pk])

    assert handover.related_counts == {"Planned follow-ups": 2}
    planned = Activity.objects.filter(customer=customer_a, status="planned")
    assert set(planned.values_list("owner_id", flat=True)) == {rep_a2.pk} and planned.count() == 2
    assert Activity.objects.get(pk=extra.pk).owner == rep_a2
    assert Activity.objects.get(pk=visit.pk).owner == rep_a  # done: the author stays
    assert Activity.objects.get(pk=cancelled.pk).owner == rep_a  # closed: stays as it was
    assert Activity.objects.get(pk=untouched.pk).owner == rep_a2


def test_handover_page_counts_the_planned_followups(director, rep_a, rep_a2, customer_a, login):
    rep_a.language = director.language = "en"
    director.save(update_fields=["language"])
    activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=timezone.localdate())
    body = login(director).get(reverse("customers:handover"), {"from_user": rep_a.pk, "to_user": rep_a2.pk}).content.decode()
    assert "Planned follow-ups: <strong>1</strong>" in body


def test_no_planned_followups_means_nothing_to_count(rep_a, customer_a):
    assert handover_related_counts(from_user=rep_a, customer_ids=[customer_a.pk]) == {}


def test_after_a_handover_the_new_rep_sees_the_whole_timeline(manager_a, rep_a, rep_a2, customer_a, login):
    activity_log(actor=rep_a, customer=customer_a, kind="visit", visit_level="technical", at=ago(days=20), summary="技术交流会")
    activity_log(actor=manager_a, customer=customer_a, kind="meeting", at=ago(days=10), summary="经理陪同谈判")
    activity_plan(actor=rep_a, customer=customer_a, kind="phone", due_on=timezone.localdate() + timedelta(days=1), summary="确认合同")
    timeline_url = reverse("activities:customer-timeline", args=[customer_a.pk])
    assert login(rep_a2).get(timeline_url).status_code == 404  # not theirs yet

    customer_handover(actor=manager_a, from_user=rep_a, to_user=rep_a2)

    client = login(rep_a2)
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    for text in ("技术交流会", "经理陪同谈判", "确认合同"):
        assert text in page
    timeline = client.get(timeline_url).content.decode()
    assert "技术交流会" in timeline and "经理陪同谈判" in timeline and "rep_a → rep_a2" in timeline
    # the new owner may log and complete the follow-up they inherited
    plan = Activity.objects.get(customer=customer_a, status="planned")
    activity_log(actor=rep_a2, customer=customer_a, kind="phone", at=ago(minutes=5), summary="合同确认了", fulfils=plan)
    assert Activity.objects.get(pk=plan.pk).status == "done"
    assert login(rep_a).get(timeline_url).status_code == 404  # the old owner no longer sees it


def test_merge_moves_every_activity_to_the_kept_record(rep_a, manager_a, customer_a, pool_customer):
    today = timezone.localdate()
    duplicate = make_customer(rep_a, "华为技术", "C00099")
    latest = ago(days=1)
    old_clock = ago(days=50)
    Customer.objects.filter(pk=customer_a.pk).update(pool_clock_at=old_clock, owned_since=old_clock, last_followup_at=None)
    activity_log(actor=rep_a, customer=duplicate, kind="phone", at=latest, summary="在重复记录上打的电话")
    plan = activity_plan(actor=rep_a, customer=duplicate, kind="visit", due_on=today)
    kept_activity = activity_log(actor=rep_a, customer=customer_a, kind="email", at=ago(days=5), summary="原记录上的邮件")

    record = customer_merge(actor=manager_a, kept=Customer.objects.get(pk=customer_a.pk), merged=duplicate)

    assert record.moved_counts["activities"] == 2
    assert set(Activity.objects.values_list("customer_id", flat=True)) == {customer_a.pk}
    assert Activity.objects.get(pk=plan.pk).owner == rep_a and Activity.objects.get(pk=kept_activity.pk).customer_id == customer_a.pk
    kept = Customer.objects.get(pk=customer_a.pk)
    assert kept.last_followup_at == latest and kept.pool_clock_at == latest
    assert not Activity.objects.filter(customer=duplicate).exists()


def test_merge_gives_open_plans_to_the_kept_owner(rep_a, rep_a2, manager_a, customer_a, customer_a2):
    plan = activity_plan(actor=rep_a2, customer=customer_a2, kind="phone", due_on=timezone.localdate())
    done = activity_log(actor=rep_a2, customer=customer_a2, kind="phone", at=ago(hours=3), summary="rep_a2 打过")
    customer_merge(actor=manager_a, kept=customer_a, merged=customer_a2)
    assert Activity.objects.get(pk=plan.pk).owner == rep_a and Activity.objects.get(pk=plan.pk).customer_id == customer_a.pk
    assert Activity.objects.get(pk=done.pk).owner == rep_a2  # who did it stays

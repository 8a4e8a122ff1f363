"""A customer that goes back to the pool takes no planned follow-ups with it."""

from datetime import date, timedelta

from django.utils import timezone

from kehu.activities.models import Activity
from kehu.customers.services import customer_release, pool_run_returns


def _plan(customer, owner, days=3):
    return Activity.objects.create(
        customer=customer, owner=owner, kind="phone", status="planned", due_on=date.today() + timedelta(days=days),
    )


def test_rep_a_release_cancels_open_planned_followups(cast):
    plan = _plan(cast["customer_a"], cast["rep_a"])
    other = _plan(cast["customer_b"], cast["rep_b"])
    customer_release(actor=cast["rep_a"], customer=cast["customer_a"], reason="no budget this year")
    plan.refresh_from_db()
    other.refresh_from_db()
    assert plan.status == "cancelled" and plan.closed_at is not None and plan.cancel_reason
    assert other.status == "planned"


def test_automatic_return_cancels_open_planned_followups(cast):
    customer = cast["customer_a"]
    plan = _plan(customer, cast["rep_a"])
    type(customer).objects.filter(pk=customer.pk).update(pool_clock_at=timezone.now() - timedelta(days=200))
    assert pool_run_returns() == 1
    plan.refresh_from_db()
    assert plan.status == "cancelled"

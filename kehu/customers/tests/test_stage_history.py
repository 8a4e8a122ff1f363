"""Every lifecycle stage change is kept with its time and user (DOMAIN.md §3), whichever
service made it: creating, editing, moving by hand, or derived (signed)."""

import pytest

from kehu.customers.models import Customer, CustomerStageChange
from kehu.customers.services import customer_create, customer_set_stage, customer_update

pytestmark = pytest.mark.django_db


def _history(customer):
    return list(CustomerStageChange.objects.filter(customer=customer).values_list("from_stage", "to_stage", "user__username"))


def test_create_update_and_set_stage_each_leave_one_step(rep_a):
    customer = customer_create(actor=rep_a, data={"name": "阶段历史公司", "kind": "company"})
    assert _history(customer) == [("", "target", rep_a.username)]
    customer = customer_update(actor=rep_a, customer=customer, data={}, stage="prospect")
    customer = customer_update(actor=rep_a, customer=customer, data={"city": "Shanghai"})  # no stage change, no step
    customer = customer_set_stage(actor=rep_a, customer=customer, stage="qualified")
    assert _history(customer) == [("", "target", "rep_a"), ("target", "prospect", "rep_a"), ("prospect", "qualified", "rep_a")]
    last = CustomerStageChange.objects.filter(customer=customer).last()
    assert last.at == Customer.objects.get(pk=customer.pk).stage_changed_at


def test_a_derived_move_is_kept_without_a_user(customer_a):
    customer_set_stage(actor=None, customer=customer_a, stage=Customer.Stage.SIGNED, by_hand=False)
    assert _history(customer_a)[-1] == (customer_a.stage, "signed", None)

"""Opportunity services: rights, stage history, closing and reopening, and the customers hooks."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers.services import customer_handover, customer_merge, pool_run_returns
from kehu.sales.services import SalesError
from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange
from kehu.sales.selectors import opportunity_list
from kehu.sales.services import opportunity_create, opportunity_move

pytestmark = pytest.mark.django_db


def stage(code):
    return OpportunityStage.objects.get(code=code)


@pytest.fixture
def opp(rep_a, customer_a):
    return opportunity_create(actor=rep_a, customer=customer_a, title="ERP", amount="120000.50")


def test_create_sets_code_owner_first_stage_history_and_audit(opp, rep_a, customer_a):
    assert opp.code.startswith("O") and opp.owner == rep_a and opp.stage.code == "first_contact"
    assert str(opp.amount) == "120000.50" and opp.forecast_category == "pipeline"
    change = OpportunityStageChange.objects.get(opportunity=opp)
    assert change.from_stage is None and change.to_stage.code == "first_contact" and change.user == rep_a
    assert AuditEvent.objects.filter(object_type="opportunity", object_id=opp.pk, verb="create").count() == 1
    second = opportunity_create(actor=rep_a, customer=customer_a, title="CRM", amount=1)
    assert second.code > opp.code


def test_finance_and_other_reps_cannot_create(finance, rep_b, customer_a):
    for user in (finance, rep_b):
        with pytest.raises(PermissionDenied):
            opportunity_create(actor=user, customer=customer_a, title="x", amount=1)


def test_move_records_each_change_and_keeps_probability_override(opp, rep_a):
    opportunity_move(actor=rep_a, opportunity=opp, stage=stage("needs_confirmed"), probability=40)
    opportunity_move(actor=rep_a, opportunity=opp, stage=stage("proposal"))
    opp.refresh_from_db()
    assert opp.probability == 40 and opp.closed_on is None
    assert list(opp.stage_changes.values_list("to_stage__code", flat=True)) == ["first_contact", "needs_confirmed", "proposal"]
    assert AuditEvent.objects.filter(object_type="opportunity", object_id=opp.pk, verb="update").count() == 2


def test_lost_needs_a_reason_and_closing_then_reopening(opp, rep_a):
    with translation.override("en"), pytest.raises(SalesError, match="lost reason"):
        opportunity_move(actor=rep_a, opportunity=opp, stage=stage("lost"))
    opportunity_move(actor=rep_a, opportunity=opp, stage=stage("lost"), lost_reason="价格")
    opp.refresh_from_db()
    assert opp.closed_on == timezone.localdate() and opp.forecast_category == "omitted" and opp.lost_reason == "价格"
    opportunity_move(actor=rep_a, opportunity=opp, stage=stage("negotiation"))
    opp.refresh_from_db()
    assert opp.closed_on is None and opp.lost_reason == "" and opp.forecast_category == stage("negotiation").forecast_category
    opportunity_move(actor=rep_a, opportunity=opp, stage=stage("won"))
    opp.refresh_from_db()
    assert opp.forecast_category == "closed" and opp.closed_on is not None and opp.probability is None


def test_manager_and_admin_may_move_other_rep_and_finance_may_not(opp, manager_a, admin, rep_b, finance):
    opportunity_move(actor=manager_a, opportunity=opp, stage=stage("proposal"))
    opportunity_move(actor=admin, opportunity=opp, stage=stage("negotiation"))
    for user in (rep_b, finance):
        with pytest.raises(PermissionDenied):
            opportunity_move(actor=user, opportunity=opp, stage=stage("won"))
    opp.refresh_from_db()
    assert opp.stage.code == "negotiation"


def test_visible_to_excludes_other_reps_opportunities(opp, rep_a, rep_b):
    assert not Opportunity.objects.visible_to(rep_b).filter(pk=opp.pk).exists()
    assert list(opportunity_list(user=rep_a)) == [opp]
    assert list(opportunity_list(user=rep_b)) == []


def _idle(customer, days, now):
    customer.pool_clock_at = customer.owned_since = now - timedelta(days=days)
    customer.save(update_fields=["pool_clock_at", "owned_since"])


def test_open_opportunity_blocks_pool_return_closed_does_not(opp, rep_a, customer_a, customer_a2):
    conf = CompanySettings.load()
    conf.pool_return_days = 90
    conf.save()
    now = timezone.now()
    _idle(customer_a, 120, now)
    _idle(customer_a2, 120, now)
    assert pool_run_returns(now=now) == 1  # customer_a2 only
    customer_a.refresh_from_db()
    assert customer_a.owner == rep_a
    opportunity_move(actor=rep_a, opportunity=opp, stage=stage("lost"), lost_reason="x")
    _idle(customer_a, 120, now)
    assert pool_run_returns(now=now) == 1
    customer_a.refresh_from_db()
    assert customer_a.owner is None


def test_handover_moves_open_opportunities_only(opp, rep_a, rep_a2, manager_a, customer_a):
    closed = opportunity_create(actor=rep_a, customer=customer_a, title="old", amount=5)
    opportunity_move(actor=rep_a, opportunity=closed, stage=stage("won"))
    customer_handover(actor=manager_a, from_user=rep_a, to_user=rep_a2)
    opp.refresh_from_db()
    closed.refresh_from_db()
    assert opp.owner == rep_a2 and closed.owner == rep_a


def test_merge_moves_opportunities_to_the_kept_record(admin, customer_a, pool_customer):
    o = opportunity_create(actor=admin, customer=pool_customer, title="x", amount=1)
    customer_merge(actor=admin, kept=customer_a, merged=pool_customer)
    o.refresh_from_db()
    assert o.customer == customer_a


def test_a_closed_opportunity_without_closed_on_gets_it_from_its_stage_history(rep_a, customer_a):
    """Migration 0007: a stage made closed in the admin while an opportunity was in it."""
    import importlib
    from datetime import date, datetime

    from django.apps import apps

    moved_at = timezone.make_aware(datetime(2026, 3, 4, 10))
    opp = opportunity_create(actor=rep_a, customer=customer_a, title="in proposal", amount="5")
    opportunity_move(actor=rep_a, opportunity=opp, stage=stage("proposal"), now=moved_at)
    OpportunityStage.objects.filter(code="proposal").update(is_closed=True, is_won=True)
    assert Opportunity.objects.get(pk=opp.pk).closed_on is None
    importlib.import_module("kehu.sales.migrations.0008_backfill_closed_on").backfill(apps, None)
    assert Opportunity.objects.get(pk=opp.pk).closed_on == date(2026, 3, 4)

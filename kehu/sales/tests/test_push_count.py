"""`Opportunity.push_count`: the expected close moved to a later month (issue 11: a deal
pushed out twice or more is slipping), counted by the edit and backfilled from the audit trail."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent
from kehu.sales.models import Opportunity
from kehu.sales.services import opportunity_create, opportunity_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(rep_a, customer_a):
    return opportunity_create(actor=rep_a, customer=customer_a, title="ERP", amount="1000", expected_close_on=date(2026, 6, 10))


def test_rep_pushing_to_a_later_month_counts_each_push(opp, rep_a):
    opp = opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=date(2026, 7, 2))
    assert opp.push_count == 1
    opp = opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=date(2026, 9, 30))
    opp.refresh_from_db()
    assert opp.push_count == 2


def test_rep_moving_within_the_month_or_earlier_does_not_count(opp, rep_a):
    opp = opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=date(2026, 6, 30))
    opp = opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=date(2026, 5, 1))
    opp = opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=date(2026, 6, 1))  # back to June: a pull-in then a return
    opp.refresh_from_db()
    assert opp.push_count == 1  # May → June is a later month


def test_rep_setting_or_clearing_the_date_does_not_count(rep_a, customer_a):
    opp = opportunity_create(actor=rep_a, customer=customer_a, title="CRM", amount="1")
    opp = opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=date(2026, 8, 1))
    opp = opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=None)
    opp = opportunity_update(actor=rep_a, opportunity=opp, expected_close_on=date(2026, 12, 1))
    assert opp.push_count == 0


def test_migration_backfills_from_the_audit_trail(opp, rep_a, customer_a):
    other = opportunity_create(actor=rep_a, customer=customer_a, title="CRM", amount="1")
    for old, new in (("2026-06-10", "2026-07-01"), ("2026-07-01", "2026-07-20"), ("2026-07-20", "2027-01-05"),
                     ("2026-08-01", "2026-05-01"), (None, "2026-10-01")):
        audit_record(actor=rep_a, verb=AuditEvent.Verb.UPDATE, obj=opp, customer=customer_a, changes={"expected_close_on": [old, new]})
    audit_record(actor=rep_a, verb=AuditEvent.Verb.UPDATE, obj=other, customer=customer_a, changes={"amount": ["1", "2"]})
    Opportunity.objects.update(push_count=0)
    migration = importlib.import_module("kehu.sales.migrations.0009_opportunity_push_count")
    migration.backfill(django_apps, None)
    assert dict(Opportunity.objects.values_list("pk", "push_count")) == {opp.pk: 2, other.pk: 0}

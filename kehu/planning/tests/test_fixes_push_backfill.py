"""The push_count backfill (kehu/sales/migrations/0009) counts the pushes of the audit trail
the way the live edit counts them: an import's change of the expected close is not a push."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent
from kehu.sales.models import Opportunity
from kehu.sales.services import opportunity_create

pytestmark = pytest.mark.django_db


def test_backfill_does_not_count_import_events(rep_a, customer_a):
    opp = opportunity_create(actor=rep_a, customer=customer_a, title="ERP", amount="1000", expected_close_on=date(2026, 6, 10))
    audit_record(actor=rep_a, verb=AuditEvent.Verb.UPDATE, obj=opp, customer=customer_a,
                 changes={"expected_close_on": ["2026-06-10", "2026-07-01"]})
    for old, new in (("2026-07-01", "2026-09-01"), ("2026-09-01", "2026-12-01")):
        audit_record(actor=None, verb=AuditEvent.Verb.IMPORT, obj=opp, customer=customer_a, changes={"expected_close_on": [old, new]})
    Opportunity.objects.update(push_count=0)
    migration = importlib.import_module("kehu.sales.migrations.0009_opportunity_push_count")
    migration.backfill(django_apps, None)
    opp.refresh_from_db()
    assert opp.push_count == 1

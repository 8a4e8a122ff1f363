"""The deletions for sync (kehu/api/deletions.py) read the audit trail through the index
audit_deletion_idx (verb, object_type, at: only the delete, remove and merge events of customers,
contacts and activities), never the whole trail: on an audit trail of thousands of changes and a
few deletions, with the table's statistics gathered, the plan of the list's query names the
index on PostgreSQL, with and without `since`. SQLite (whose planner cannot see the values of the
bound verbs) walks the `at` index instead, in the list's order and from `since` on: an index
either way, never a scan of the table."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kehu.api.deletions import deletions_visible_to
from kehu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(cast):
    customers = [cast[k] for k in ("customer_a", "customer_a2", "customer_b", "pool_customer")]
    events = [AuditEvent(verb="update", object_type="customer", object_id=c.pk, customer=c, changes={"name": ["a", "b"]})
              for _ in range(1500) for c in customers]
    events += [AuditEvent(verb="delete", object_type="contact", object_id=10_000 + i, customer=customers[i % 4]) for i in range(8)]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_auditevent" if connection.vendor == "postgresql" else "ANALYZE")
    return cast


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}" if connection.vendor == "postgresql" else f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize("who", ["admin", "rep_a", "manager_a"])
@pytest.mark.parametrize("since", [False, True])
def test_the_deletions_list_reads_the_index(trail, who, since):
    qs = deletions_visible_to(trail[who])
    if since:
        qs = qs.filter(at__gte=timezone.now() - timedelta(days=1))
    plan = _plan(qs[:51])
    if connection.vendor == "postgresql":
        assert "audit_deletion_idx" in plan, plan
    else:
        lines = [line for line in plan.splitlines() if "core_auditevent" in line]
        assert lines and all("USING INDEX" in line or "USING COVERING INDEX" in line for line in lines), plan
        if since:
            assert any("SEARCH core_auditevent" in line and "at>?" in line for line in lines), plan

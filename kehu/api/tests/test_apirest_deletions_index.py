"""The deletions for sync (kehu/api/deletions.py) read the audit trail through the index
audit_deletion_idx (verb, object_type, at: only the delete, remove and merge events of customers,
contacts and activities), never the whole trail: the plan of the list's query names the index, on
SQLite and PostgreSQL, with and without `since`."""

import pytest
from django.db import connection

from kehu.api.deletions import deletions_visible_to

pytestmark = pytest.mark.django_db


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table: ask what the planner can use
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize("who", ["admin", "rep_a", "manager_a"])
@pytest.mark.parametrize("since", [False, True])
def test_the_deletions_page_reads_the_partial_index(cast, who, since):
    from django.utils import timezone

    qs = deletions_visible_to(cast[who])
    if since:
        qs = qs.filter(at__gte=timezone.now())
    assert "audit_deletion_idx" in _plan(qs[:51])

"""The router against a real PostgreSQL streaming replica (issue 15, ops). `.ci/run` starts a hot
standby of the test cluster (pg_basebackup -R) and runs this module with KEHU_REPLICA_URLS set; the
replica alias reads the test database on the standby. Skipped without KEHU_REPLICA_URLS (never run
the whole suite with it: every other test's report reads would go to the standby)."""

import os
import time

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from factories import CustomerFactory
from kehu.core import dbrouter
from kehu.core.dbrouter import replica_reads
from kehu.customers.models import Customer

pytestmark = [
    pytest.mark.skipif(not os.environ.get("KEHU_REPLICA_URLS"),
                       reason="needs a streaming replica: KEHU_REPLICA_URLS (CI sets it, see .ci/run)"),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]
REPLICA = "replica1"


def catch_up(timeout=15.0):
    """Wait until the standby has replayed everything the primary committed so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        lsn = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while True:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


def test_system_replica_is_a_read_only_standby_of_the_test_database():
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        assert cursor.fetchone() == (True, connections["default"].settings_dict["NAME"])
    # a write sent there fails: the router never sends one (all writes below reach the primary)
    with pytest.raises(DatabaseError, match="read-only"):
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())")


def test_director_report_reads_replica_and_writes_go_to_primary(client, director, rep_a, monkeypatch):
    from kehu.core.models import CompanySettings

    CustomerFactory.create_batch(3, owner=rep_a)
    CompanySettings.load()  # written once (a page that creates it reads the primary after: it wrote)
    client.force_login(director)
    catch_up()

    with CaptureQueriesContext(connections[REPLICA]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        for name in ("reports:funnel", "reports:funnel-export", "finance:aging", "finance:commission"):
            assert client.get(reverse(name)).status_code == 200, name
    assert any("customers_customer" in q["sql"] for q in on_replica.captured_queries)
    assert any("finance_receivable" in q["sql"] for q in on_replica.captured_queries)  # raw SQL: read_connection()
    # the primary: the session, the user, the header's counts (raw SQL, read-your-writes) only
    tables = ("sales_", "finance_", "ranking_", "planning_")
    header = [q for q in on_primary.captured_queries if "activities_notification" in q["sql"]]
    assert not [q["sql"][:200] for q in on_primary.captured_queries
                if q not in header and any(t in q["sql"] for t in tables)]

    # a page that is no report reads the primary
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(reverse("customers:list")).status_code == 200
    assert on_replica.captured_queries == []

    # read-your-writes: after a POST the session reads the primary for KEHU_REPLICA_PIN_SECONDS
    assert client.post(reverse("accounts:language"), {"language": "en"}).status_code in (200, 302)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(reverse("reports:funnel")).status_code == 200
    assert on_replica.captured_queries == []
    later = time.time() + 60
    monkeypatch.setattr(dbrouter.time, "time", lambda: later)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(reverse("reports:funnel")).status_code == 200
    assert on_replica.captured_queries


def test_system_writes_in_replica_reads_land_on_primary(rep_a):
    catch_up()
    with replica_reads(REPLICA):
        assert Customer.objects.count() == 0  # read from the standby
        created = CustomerFactory(owner=rep_a, name="写到主库")
        assert Customer.objects.get(pk=created.pk).name == "写到主库"  # read-your-writes: the primary
    assert Customer.objects.using("default").filter(name="写到主库").exists()


def test_system_worker_and_commands_use_primary():
    from kehu.integrations.tasks import deliver_webhooks

    deliver_webhooks.enqueue([])
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        call_command("worker", "--batch", verbosity=0)
        call_command("daily", "--json", stdout=open(os.devnull, "w"))
    assert on_replica.captured_queries == []

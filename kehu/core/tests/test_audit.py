"""Audit events, the company settings row and numbering."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from kehu.core.audit import audit_record, diff, snapshot
from kehu.core.models import AuditEvent, CompanySettings
from kehu.core.sequences import next_number


def test_snapshot_is_json_friendly(rep_a, customer_a):
    customer_a.credit_limit = Decimal("5000.50")
    customer_a.save()
    snap = snapshot(customer_a, ["name", "owner", "credit_limit", "stage"])
    assert snap == {"name": "华为技术有限公司", "owner": rep_a.pk, "credit_limit": "5000.50", "stage": "target"}


def test_diff_lists_only_the_changed_fields():
    before = {"name": "甲", "phone": "1", "credit_limit": "10.00", "owner": 3}
    after = {"name": "甲", "phone": "2", "credit_limit": "10.00", "owner": None}
    assert diff(before, after) == {"phone": ["1", "2"], "owner": [3, None]}
    assert diff(after, after) == {}


def test_diff_reports_fields_that_appear():
    assert diff({}, {"city": "深圳"}) == {"city": [None, "深圳"]}


def test_rep_change_is_recorded_with_actor_customer_and_changes(rep_a, customer_a):
    before = snapshot(customer_a, ["phone", "city"])
    customer_a.phone, customer_a.city = "0755-1", "广州"
    customer_a.save()
    event = audit_record(
        actor=rep_a, verb=AuditEvent.Verb.UPDATE, obj=customer_a, customer=customer_a,
        changes=diff(before, snapshot(customer_a, ["phone", "city"])), note="x" * 600,
    )
    event.refresh_from_db()
    assert event.actor == rep_a
    assert (event.object_type, event.object_id) == ("customer", customer_a.pk)
    assert event.object_label == str(customer_a)
    assert event.changes == {"phone": ["0755-28780808", "0755-1"], "city": ["深圳", "广州"]}
    assert len(event.note) == 500
    assert list(customer_a.audit_events.all()) == [event]


def test_system_change_has_no_actor(customer_a):
    event = audit_record(actor=AnonymousUser(), verb=AuditEvent.Verb.RETURN, obj=customer_a, customer=customer_a)
    assert event.actor is None
    assert audit_record(actor=None, verb="return", obj=customer_a).actor is None


def test_history_is_newest_first(rep_a, customer_a):
    first = audit_record(actor=rep_a, verb="create", obj=customer_a, customer=customer_a)
    second = audit_record(actor=rep_a, verb="update", obj=customer_a, customer=customer_a)
    assert list(AuditEvent.objects.filter(customer=customer_a)) == [second, first]


def test_company_settings_is_one_row_with_defaults(db):
    first = CompanySettings.load()
    second = CompanySettings.load()
    assert first.pk == second.pk == 1
    assert CompanySettings.objects.count() == 1
    assert (first.pool_return_days, first.pool_warning_days, first.default_currency) == (90, 7, "CNY")


def test_next_number_counts_up_per_sequence(db):
    assert [next_number("customer") for _ in range(3)] == [1, 2, 3]
    assert next_number("quote") == 1
    assert next_number("customer", at_least=100) == 101
    assert next_number("customer") == 102


@pytest.mark.django_db(transaction=True)
def test_next_number_never_repeats_under_threads():
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("row locks are PostgreSQL's; SQLite writers are serialised (test_sqlite_concurrency)")
    seen, lock = [], threading.Lock()

    def work():
        from django.db import connection as thread_connection

        try:
            numbers = [next_number("race") for _ in range(20)]
            with lock:
                seen.extend(numbers)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 81))

"""The search pieces without their (ref_id, kind) index (migration 0020_search_pieces_by_value):
the DELETE and UPDATE triggers remove a row's pieces by the pieces of its old value. After every
kind of write the pieces table is exactly what a rebuild from the tables gives, and the search
still finds exactly what the LIKE rule finds. SQLite only (PostgreSQL has expression indexes)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from conftest import make_customer
from kehu.customers import search, search_bulk
from kehu.customers.models import Contact, Customer
from kehu.customers.tests.test_search_index import assert_same

pytestmark = pytest.mark.skipif("connection.vendor != 'sqlite'")


def _pieces() -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT gram, kind, ref_id FROM customers_search_gram ORDER BY 1, 2, 3")
        return cursor.fetchall()


def _rebuilt() -> list:
    """The pieces a rebuild from the tables gives (the table itself left as it was)."""
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT pieces_probe")
        try:
            search.rebuild()
            return _pieces()
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT pieces_probe")
            cursor.execute("RELEASE SAVEPOINT pieces_probe")


def _assert_exact():
    pieces = _pieces()
    assert pieces == _rebuilt()
    return pieces


@pytest.fixture
def world(rep_a, rep_b):
    a = make_customer(rep_a, "华为技术有限公司", "C1", phone="0755-28780808")
    b = make_customer(rep_b, "乐乐乐乐", "C2")  # the same piece several times
    c = make_customer(None, "ACME Trading 上海", "C3")
    Contact.objects.create(customer=a, name="王芳", phone="13900001111", phone_normalized="13900001111")
    Contact.objects.create(customer=b, name="李李", phone="", phone_normalized="")
    return {"a": a, "b": b, "c": c}


@pytest.mark.django_db
def test_the_ref_index_is_gone_and_the_triggers_delete_by_value():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'customers_search_gram_ref'")
        assert cursor.fetchall() == []
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'customers_search_ad'")
        assert "gram IN (SELECT lower(substr(OLD.name, n, 2))" in cursor.fetchone()[0]
        cursor.execute("EXPLAIN QUERY PLAN DELETE FROM customers_search_gram WHERE kind = 1 AND ref_id = 5 AND gram IN "
                       "(SELECT lower(substr('abc', n, 2)) FROM customers_search_number WHERE n <= 3)")
        assert "USING PRIMARY KEY (gram=? AND kind=? AND ref_id=?)" in " ".join(str(r) for r in cursor.fetchall())
    # the INSERT triggers the import's fast path mirrors are unchanged
    assert search_bulk.trigger_in_place("customer") and search_bulk.trigger_in_place("contact")


@pytest.mark.django_db
def test_pieces_follow_every_write(world):
    a, b, c = world["a"], world["b"], world["c"]
    before = _assert_exact()
    assert ("华为", 1, a.pk) in before and ("乐乐", 1, b.pk) in before and ("乐", 1, b.pk) in before
    Customer.objects.filter(pk=a.pk).update(name="华为终端", name_initials="hwzd")  # name and initials
    pieces = _assert_exact()
    assert ("技术", 1, a.pk) not in pieces and ("终端", 1, a.pk) in pieces and ("zd", 2, a.pk) in pieces
    Customer.objects.filter(pk=b.pk).update(name="乐")  # shorter: the pieces it no longer has go
    assert [p for p in _assert_exact() if p[2] == b.pk and p[1] == 1] == [("乐", 1, b.pk)]
    Customer.objects.filter(pk=c.pk).update(code="C33")  # a column that is not cut into pieces
    _assert_exact()
    Customer.objects.filter(pk=c.pk).update(name="")  # empty: no pieces
    assert not [p for p in _assert_exact() if p[2] == c.pk and p[1] == 1]
    Contact.objects.filter(customer=a).update(name="王建国")
    assert ("建国", 3, Contact.objects.get(customer=a).pk) in _assert_exact()
    Contact.objects.filter(customer=b).delete()
    _assert_exact()
    Contact.objects.all().delete()
    Customer.objects.filter(pk=b.pk).delete()  # (its profile goes with it)
    assert not [p for p in _assert_exact() if p[2] == b.pk and p[1] in (1, 2)]
    assert_same(["华", "华为", "终端", "乐", "hw", "zd", "王", "建国", "AC", "上海"])


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses():
    """Back to 0019 the index and the old triggers return (the pieces stay exact); forward again
    they go."""
    executor = MigrationExecutor(connection)
    executor.migrate([("customers", "0019_new_customers_index")])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name IN ('customers_search_gram_ref', 'customers_search_ad') ORDER BY name")
            rows = [r[0] for r in cursor.fetchall()]
        assert rows == [s for s in search.SQLITE_CREATE if s.startswith("CREATE TRIGGER customers_search_ad")] + [search_bulk.REF_INDEX]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'customers_search_gram_ref'")
        assert cursor.fetchone()[0] == 0

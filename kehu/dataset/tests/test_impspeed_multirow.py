"""The import's rows written as multi-row statements on SQLite (issue 13, fourth pass): a batch's
constant columns bound once and the others as a VALUES list store exactly what one INSERT a row
stored — the same values of the same SQLite types, in the same order (ids follow the rows) —
whatever the mix of values and however many statements a batch takes. On PostgreSQL the writer
COPYs (unchanged) and the same comparison holds. The garbage collector paused during an import's
passes is resumed after them, also after a failure. On SQLite and on PostgreSQL."""

import gc
from datetime import date, datetime, timezone as tz
from decimal import Decimal

import pytest
from django.db import connection

from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.dataset.importers import base
from factories import UserFactory

pytestmark = pytest.mark.django_db


def _stored(model, ids: list[int]) -> list[tuple]:
    """The rows of `ids` in id order, every column but the id, with each value's SQLite type."""
    writer = base._RowWriter(model)
    qn = connection.ops.quote_name
    columns = [qn(f.column) for f in writer.fields]
    picks = ", ".join(f"{c}, typeof({c})" for c in columns) if connection.vendor == "sqlite" else ", ".join(columns)
    table = qn(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {picks} FROM {table} WHERE id >= %s AND id <= %s ORDER BY id", [min(ids), max(ids)])
        return cursor.fetchall()


def _write_both_ways(model, tuples: list[tuple]) -> tuple[list[tuple], list[tuple], list[int]]:
    """The rows stored by the writer, then (those deleted) by one INSERT a row; and the writer's ids."""
    writer = base._RowWriter(model)
    before = model.objects.order_by("-id").values_list("id", flat=True).first() or 0
    writer.write(tuples)
    ids = list(model.objects.filter(id__gt=before).order_by("id").values_list("id", flat=True))
    fast = _stored(model, ids)
    model.objects.filter(id__in=ids).delete()
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table), ", ".join(qn(f.column) for f in writer.fields), ", ".join(["%s"] * len(writer.fields)))
    with connection.cursor() as cursor:
        cursor.executemany(sql, tuples)
    again = list(model.objects.filter(id__gt=ids[-1]).order_by("id").values_list("id", flat=True))
    return fast, _stored(model, again), ids


def _events(user) -> list[dict]:
    at = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=tz.utc)
    labels = ["华为 (K001)", "O'Brien \"Ltd\" %s %% ?", "emoji 🚀 ✓", "", "tab\there", "a" * 255, "naïve", "1", "2.50"]
    rows = []
    for i in range(23):
        rows.append({
            "actor_id": user.pk if i % 3 else None, "verb": AuditEvent.Verb.IMPORT, "object_type": "customer",
            "object_id": 10 ** 12 + i if i % 5 == 0 else i, "object_label": labels[i % len(labels)],
            "changes": {"name": [None, labels[i % len(labels)]], "n": [i, i + 1], "x": [None, "\\u0000"]} if i % 4 else {},
            "note": "customers.csv", "at": at if i % 7 else datetime(2025, 12, 31, 23, 59, tzinfo=tz.utc),
        })
    return rows


def _customers(user) -> list[dict]:
    rows = []
    amounts = [Decimal("1.50"), Decimal("1.5"), Decimal("100"), None, Decimal("0.01"), Decimal("12345678.90")]
    for i in range(17):
        rows.append({
            "code": f"MR{i:03d}", "name": f"多行{i}号公司", "kind": "company" if i % 2 else "person", "stage": "target",
            "owner_id": user.pk if i % 4 else None, "credit_limit": amounts[i % len(amounts)], "influence": (i % 5) + 1,
            "reputation": None if i % 3 else 3, "is_key_account": bool(i % 2), "created_at": datetime(2024, 1, 1 + i, tzinfo=tz.utc),
            "stage_changed_at": datetime(2026, 1, 1, tzinfo=tz.utc), "name_normalized": f"多行{i}号", "phone": "",
        })
    return rows


def test_events_stored_as_one_insert_a_row_stores_them():
    user = UserFactory()
    writer = base._RowWriter(AuditEvent)
    fast, slow, ids = _write_both_ways(AuditEvent, writer.from_dicts(_events(user)))
    assert len(fast) == 23 and fast == slow
    assert ids == list(range(ids[0], ids[0] + 23))  # in the rows' order


def test_customers_stored_as_one_insert_a_row_stores_them():
    user = UserFactory()
    writer = base._RowWriter(Customer)
    fast, slow, ids = _write_both_ways(Customer, writer.from_dicts(_customers(user)))
    assert len(fast) == 17 and fast == slow and len(ids) == 17


def test_customers_in_order_and_exact():
    user = UserFactory()
    writer = base._RowWriter(Customer)
    before = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0
    writer.write(writer.from_dicts(_customers(user)))
    got = list(Customer.objects.filter(id__gt=before).order_by("id").values_list("code", "credit_limit", "is_key_account", "owner_id", "created_at"))
    assert [g[0] for g in got] == [f"MR{i:03d}" for i in range(17)]
    assert got[0][1:] == (Decimal("1.50"), False, None, datetime(2024, 1, 1, tzinfo=tz.utc))
    assert got[5][1] == Decimal("12345678.90") and got[3][1] is None and got[1][2] is True and got[1][3] == user.pk


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_constant_columns_are_exact_types():
    """A column of 1s and Trues, or of equal Decimals written differently, is not bound once as
    its first value: each row keeps its own (the same as one INSERT a row). SQLite only: the
    values are given raw (as no field would prepare them), which PostgreSQL's COPY refuses."""
    user = UserFactory()
    writer = base._RowWriter(Customer)
    rows = writer.from_dicts(_customers(user)[:4])
    i_influence = [f.attname for f in writer.fields].index("influence")
    i_credit = [f.attname for f in writer.fields].index("credit_limit")
    mixed = []
    for n, row in enumerate(rows):
        row = list(row)
        row[i_influence] = True if n % 2 else 1
        row[i_credit] = Decimal("2.0") if n % 2 else Decimal("2.00")
        mixed.append(tuple(row))
    fast, slow, _ids = _write_both_ways(Customer, mixed)
    assert fast == slow
    # In a text column equal values of other types or spellings are stored differently: '2.0' / '2.00'.
    writer = base._RowWriter(AuditEvent)
    events = writer.from_dicts(_events(user)[:6])
    i_label = [f.attname for f in writer.fields].index("object_label")
    for values in ([Decimal("2.0"), Decimal("2.00")] * 3, [1, 1.0] * 3, [1, True] * 3, [Decimal("2.0")] * 5 + [Decimal("2.00")]):
        rows = [tuple(v if i == i_label else x for i, x in enumerate(row)) for row, v in zip(events, values)]
        fast, slow, _ids = _write_both_ways(AuditEvent, rows)
        assert fast == slow
        if values[0] == Decimal("2.0"):
            assert {r[2 * i_label] for r in fast} == {"2.0", "2.00"}  # (value, type) pairs


@pytest.mark.parametrize("params", [3, 7, 40, 1000])
def test_several_statements_a_batch(monkeypatch, params):
    """However many rows a statement takes (the parameter budget), the rows and their order are the same."""
    monkeypatch.setattr(base, "_SQLITE_PARAMS", params)
    user = UserFactory()
    writer = base._RowWriter(AuditEvent)
    fast, slow, ids = _write_both_ways(AuditEvent, writer.from_dicts(_events(user)))
    assert fast == slow and ids == list(range(ids[0], ids[0] + 23))


def test_one_row_and_identical_rows():
    user = UserFactory()
    writer = base._RowWriter(AuditEvent)
    one = writer.from_dicts(_events(user)[:1])
    fast, slow, _ids = _write_both_ways(AuditEvent, one)
    assert len(fast) == 1 and fast == slow
    same = one * 5  # every column the same in every row: still five rows
    fast, slow, ids = _write_both_ways(AuditEvent, same)
    assert len(fast) == 5 and fast == slow and len(ids) == 5


def test_gc_resumed_after_the_passes_and_after_a_failure():
    calls = []

    @base.gc_paused
    def work(fail=False):
        calls.append(gc.isenabled())
        if fail:
            raise ValueError("boom")

    assert gc.isenabled()
    work()
    with pytest.raises(ValueError):
        work(fail=True)
    assert calls == [False, False] and gc.isenabled()
    gc.disable()
    try:
        work()
        assert not gc.isenabled()  # paused by someone else: left to them
    finally:
        gc.enable()


def _plain(rows):  # psycopg's Jsonb wrapper compares by identity: compare what it wraps
    return [tuple((type(v).__name__, v.obj) if type(v).__name__ == "Jsonb" else (type(v).__name__, v) for v in row) for row in rows]


def test_rows_of_the_same_keys_to_tuples_column_by_column():
    """from_dicts on rows that all have the same keys (a column at a time) gives what from_dict
    gives row by row: values passed as they are, converted ones (amounts, times, choices, JSON),
    an auto_now_add time given or not (None: the time now), a callable default per row."""
    from kehu.customers.models import CustomerStageChange, CustomerStageMonth

    now = datetime(2026, 5, 6, 7, 8, 9, tzinfo=tz.utc)
    user = UserFactory()
    cases = {
        Customer: [
            {"code": f"U{i}", "kind": Customer.Kind.COMPANY if i % 2 else "person", "stage": "target", "name": f"名{i}",
             "owner_id": None if i % 3 else user.pk, "credit_limit": [Decimal("12.50"), None, Decimal("3")][i % 3],
             "influence": [3, None, 5][i % 3], "created_at": None if i % 2 else now, "stage_changed_at": now,
             "is_key_account": bool(i % 2)}
            for i in range(7)
        ],
        AuditEvent: [
            {"actor_id": None, "verb": AuditEvent.Verb.IMPORT, "object_type": "customer", "object_id": i, "object_label": f"x{i}",
             "customer_id": i, "note": "customers.csv"}  # changes: its callable default, per row
            for i in range(5)
        ],
        CustomerStageChange: [
            {"customer_id": i, "from_stage": "", "to_stage": "target", "at": now, "user_id": None} for i in range(4)
        ],
        CustomerStageMonth: [
            {"customer_id": i, "owner_id": None, "stage": "target", "month": now.date(), "previous": None if i else date(2025, 1, 1)}
            for i in range(3)
        ],
    }
    events = [dict(e, changes={"code": [None, f"C{e['object_id']}"], "n": [1, "2.5"]}) for e in cases[AuditEvent]]
    for model, rows in list(cases.items()) + [(AuditEvent, events)]:
        writer = base._RowWriter(model)
        uniform = writer.from_dicts(rows)
        assert _plain(uniform) == _plain([writer.from_dict(r) for r in rows]), model


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_sqlite_of_999_parameters(monkeypatch):
    """An older SQLite (999 parameters a statement) gets statements within its limit."""
    user = UserFactory()
    writer = base._RowWriter(AuditEvent)
    rows = writer.from_dicts(_events(user)) * 50  # 1,150 rows
    connection.ensure_connection()
    raw = connection.connection
    monkeypatch.setattr(base, "_sqlite_params", lambda conn: 999 if conn.connection is raw else 0)
    seen = []

    def count(execute, sql, params, many, context):
        seen.append(sum(len(p) for p in params) if many else len(params or ()))
        return execute(sql, params, many, context)

    before = AuditEvent.objects.count()
    with connection.execute_wrapper(count):
        writer.write(rows)
    assert AuditEvent.objects.count() == before + 1150
    assert seen and max(seen) <= 999

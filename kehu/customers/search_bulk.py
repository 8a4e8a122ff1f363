"""The search index (kehu.customers.search) written for many new rows at once (issue 13).

On SQLite the index is kept by triggers: every customer inserted runs one FTS5 insert and two
INSERT … SELECT of its one- and two-character pieces. Row by row that is about 0.4 ms a customer,
80 % of a large import; the same work done by three set-based statements for a whole batch costs
a twentieth of it (FTS5 and the pieces' B-tree are filled in rowid order, in one pass).

`deferred(kind)` does that for the rows a bulk writer inserts, inside the writer's transaction:

    with search_bulk.deferred("customer") as index:
        … INSERT the customers …
        index.add(ids)          # their FTS5 row and pieces, as the trigger would have written them

On entry the INSERT trigger of that table is dropped (in a savepoint of the writer's transaction:
SQLite's DDL is transactional, so an error, a rollback or `kill -9` leaves the trigger in place
and the index as it was); `add` writes the index rows of the given ids with the trigger's own
expressions; on exit the trigger is created again from the very text it had. Rows inserted inside
the block and not passed to `add` would be missing from the index: the block covers the writer's
own INSERTs only (updates and deletes keep their triggers).

Exact by construction and guarded: the fast path is taken only when the trigger in the database
is, word for word, the one these statements mirror (`TRIGGERS`); any other trigger (a later
migration of the search index) keeps the per-row path, and the test
test_import_speed_index fails until the statements here follow. On PostgreSQL (expression
indexes, nothing to write) and without a search index `deferred` does nothing and `add` is a no-op.
"""

import json
from contextlib import contextmanager

from django.db import connection, transaction

from kehu.customers.search import KIND_CONTACT, KIND_INITIALS, KIND_NAME

_IN_IDS = "(SELECT value FROM json_each(%s))"

# The INSERT triggers of migration customers 0014, as sqlite_master stores them.
TRIGGERS = {
    "customer": (
        "customers_search_ai",
        "CREATE TRIGGER customers_search_ai AFTER INSERT ON customers_customer BEGIN "
        "INSERT INTO customers_search_fts (rowid, name, code, initials, pinyin, phone) "
        "VALUES (NEW.id, NEW.name, NEW.code, NEW.name_initials, NEW.name_pinyin, NEW.phone_normalized); "
        "INSERT OR IGNORE INTO customers_search_gram (gram, kind, ref_id) SELECT lower(substr(NEW.name, n, 2)), 1, NEW.id "
        "FROM customers_search_number WHERE n <= length(NEW.name); "
        "INSERT OR IGNORE INTO customers_search_gram (gram, kind, ref_id) SELECT lower(substr(NEW.name_initials, n, 2)), 2, NEW.id "
        "FROM customers_search_number WHERE n <= length(NEW.name_initials); END",
    ),
    "contact": (
        "customers_contact_search_ai",
        "CREATE TRIGGER customers_contact_search_ai AFTER INSERT ON customers_contact BEGIN "
        "INSERT INTO customers_contact_search_fts (rowid, name, phone) VALUES (NEW.id, NEW.name, NEW.phone_normalized); "
        "INSERT OR IGNORE INTO customers_search_gram (gram, kind, ref_id) SELECT lower(substr(NEW.name, n, 2)), 3, NEW.id "
        "FROM customers_search_number WHERE n <= length(NEW.name); END",
    ),
}


def _pieces(kind: int, column: str, table: str) -> str:
    """The trigger's INSERT OR IGNORE of the pieces, for every row of `table` whose id is listed."""
    return (
        "INSERT OR IGNORE INTO customers_search_gram (gram, kind, ref_id) "
        f"SELECT lower(substr(t.{column}, n.n, 2)), {kind}, t.id FROM {table} t "
        f"JOIN customers_search_number n ON n.n <= length(t.{column}) WHERE t.id IN {_IN_IDS}"
    )


# The same rows, for a set of ids: one statement per statement of the trigger.
STATEMENTS = {
    "customer": [
        "INSERT INTO customers_search_fts (rowid, name, code, initials, pinyin, phone) "
        "SELECT id, name, code, name_initials, name_pinyin, phone_normalized FROM customers_customer "
        f"WHERE id IN {_IN_IDS} ORDER BY id",
        _pieces(KIND_NAME, "name", "customers_customer"),
        _pieces(KIND_INITIALS, "name_initials", "customers_customer"),
    ],
    "contact": [
        "INSERT INTO customers_contact_search_fts (rowid, name, phone) "
        f"SELECT id, name, phone_normalized FROM customers_contact WHERE id IN {_IN_IDS} ORDER BY id",
        _pieces(KIND_CONTACT, "name", "customers_contact"),
    ],
}


# --- the pieces without their second B-tree (issue 13, second pass) ------------------------------
# The pieces' table had an index on (ref_id, kind) for one purpose: the DELETE and UPDATE triggers
# removing a row's pieces. It doubled the B-tree work of every piece written (540,000 for an
# import of 20,000 customers: ~0.22 of 3.6 CPU s). A row's pieces are exactly the pieces of its
# stored value (every write of the value goes through a trigger, `add` or `rebuild`, each with the
# same expressions), so the old value's pieces name them: deleted through the primary key
# (gram, kind, ref_id). Migration customers 0020_search_pieces_by_value.

def _row_gram_delete(kind: int, value: str, ref: str) -> str:
    """The trigger's DELETE of the pieces of `value` (OLD.…) of the row `ref`, by primary key."""
    return (
        f"DELETE FROM customers_search_gram WHERE kind = {kind} AND ref_id = {ref} AND gram IN "
        f"(SELECT lower(substr({value}, n, 2)) FROM customers_search_number WHERE n <= length({value}));"
    )


def _new_triggers() -> list[str]:
    from kehu.customers import search

    customer_delete = ("DELETE FROM customers_search_fts WHERE rowid = OLD.id; "
                       + _row_gram_delete(KIND_NAME, "OLD.name", "OLD.id") + " "
                       + _row_gram_delete(KIND_INITIALS, "OLD.name_initials", "OLD.id"))
    contact_delete = ("DELETE FROM customers_contact_search_fts WHERE rowid = OLD.id; "
                      + _row_gram_delete(KIND_CONTACT, "OLD.name", "OLD.id"))
    return [
        f"CREATE TRIGGER customers_search_ad AFTER DELETE ON customers_customer BEGIN {customer_delete} END",
        "CREATE TRIGGER customers_search_au AFTER UPDATE OF id, name, code, name_initials, name_pinyin, phone_normalized"
        f" ON customers_customer BEGIN {customer_delete} {search.CUSTOMER_NEW} END",
        f"CREATE TRIGGER customers_contact_search_ad AFTER DELETE ON customers_contact BEGIN {contact_delete} END",
        "CREATE TRIGGER customers_contact_search_au AFTER UPDATE OF id, name, phone_normalized"
        f" ON customers_contact BEGIN {contact_delete} {search.CONTACT_NEW} END",
    ]


def _old_triggers() -> list[str]:
    from kehu.customers import search

    return [sql for sql in search.SQLITE_CREATE
            if sql.startswith(("CREATE TRIGGER customers_search_ad", "CREATE TRIGGER customers_search_au",
                               "CREATE TRIGGER customers_contact_search_ad", "CREATE TRIGGER customers_contact_search_au"))]


_DROP_CHANGED_TRIGGERS = [
    "DROP TRIGGER IF EXISTS customers_search_ad", "DROP TRIGGER IF EXISTS customers_search_au",
    "DROP TRIGGER IF EXISTS customers_contact_search_ad", "DROP TRIGGER IF EXISTS customers_contact_search_au",
]
REF_INDEX = "CREATE INDEX customers_search_gram_ref ON customers_search_gram (ref_id, kind)"


def pieces_by_value(schema_editor, *, reverse: bool = False) -> None:
    """SQLite: drop the pieces' (ref_id, kind) index and delete a row's pieces by their values
    (or, reversed, the index and the triggers of migration 0016 back). PostgreSQL: nothing."""
    owner = schema_editor.connection
    if owner.vendor != "sqlite":
        return
    with owner.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'customers_search_gram'")
        if cursor.fetchone() is None:
            return
        for sql in _DROP_CHANGED_TRIGGERS:
            cursor.execute(sql)
        if reverse:
            cursor.execute(REF_INDEX.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
            statements = _old_triggers()
        else:
            cursor.execute("DROP INDEX IF EXISTS customers_search_gram_ref")
            statements = _new_triggers()
        for sql in statements:
            cursor.execute(sql)


class _Writer:
    def __init__(self, kind: str, active: bool):
        self.kind = kind
        self.active = active
        self.written = 0

    def add(self, ids) -> None:
        """Write the index rows of the rows `ids` (inserted inside the block), as the trigger would."""
        if not self.active:
            return
        ids = sorted({int(pk) for pk in ids})
        if not ids:
            return
        param = json.dumps(ids)
        with connection.cursor() as cursor:
            for sql in STATEMENTS[self.kind]:
                cursor.execute(sql, [param])
        self.written += len(ids)


def trigger_in_place(kind: str) -> bool:
    """Whether the database has the INSERT trigger of `kind` that STATEMENTS mirror (SQLite only)."""
    if connection.vendor != "sqlite":
        return False
    name, text = TRIGGERS[kind]
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
        row = cursor.fetchone()
    return row is not None and row[0] == text


@contextmanager
def deferred(kind: str):
    """Inside the current transaction: the per-row INSERT trigger of `kind` ("customer",
    "contact") off, the index written by `add(ids)` instead, the trigger back on exit (see the
    module's docstring). Outside a transaction, on PostgreSQL, or with another trigger than the
    one mirrored here: the triggers stay and `add` does nothing."""
    if not connection.in_atomic_block or not trigger_in_place(kind):
        yield _Writer(kind, active=False)
        return
    name, text = TRIGGERS[kind]
    # A savepoint of its own: an exception inside the block rolls the DROP back with the rows.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {name}")
        yield _Writer(kind, active=True)
        with connection.cursor() as cursor:
            cursor.execute(text)

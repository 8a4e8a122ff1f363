"""The lead-source summaries (docs/rules.md "### Lead sources", "The lead-source cells").

The lead-sources report counts the customers in scope per lead source, stage, pyramid tier and
value class, and those created in the period, and sums the revenue of the period by the
customers' lead source and referrer: at 100,000 customers and 1,000,000 order lines a scan of
every customer's index entry (~25-30 ms) and a join of ~19,000 monthly revenue rows to ~16,000
customers (~36 ms) for the director. Two summaries hold the same figures:

- `CustomerSourceCell`: customers per (owner, lead source, stage, tier, class, recycle-bin
  state, local month of creation) — ~850 rows at 100,000 customers;
- `SourceRevenueMonth`: Σ revenue (cents) and the number of `sales.RevenueMonth` rows per (month,
  the order's owner, the customer's lead source and three referrer columns, customer live or
  not) — ~1,500 rows a quarter.

The report reads them when its period is whole months (a month, quarter, half or year); a week
is counted from the customers and the lines.

Kept exactly equal by database triggers (`install`): after every insert, delete, and update of a
watched column of `customers_customer` or `sales_revenuemonth`, the old row's cell loses it and
the new row's cell gains it, in the writer's statement and so in its transaction — every write
path at once (services, importers, merges, handovers, the evaluation run's queryset updates, the
admin, a deleted referring contact's SET NULL, raw SQL). The month of creation is computed in the
company's time zone (settings.TIME_ZONE: PostgreSQL `AT TIME ZONE` with the zone's name written
into the trigger function; SQLite the `localtime` modifier, which uses the process's zone —
Django sets it to TIME_ZONE): after changing KEHU_TIME_ZONE run `kehu summaries rebuild`, which
reinstalls the triggers. `rebuild()` compares both summaries with the live aggregates and
rewrites them when any cell differs (`kehu summaries rebuild`, the `kehu daily` check); `fill()`
rewrites them (the migration, `kehu summaries rebuild --all`)."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection as default_connection
from django.db import transaction

TABLE = "reports_customersourcecell"
KEY = ("owner_key", "lead_source", "stage", "pyramid_tier", "value_class", "is_deleted", "created_month")
WATCHED = ("owner_id", "lead_source", "stage", "pyramid_tier", "value_class", "is_deleted", "created_at")
CHECKED = "source_cells_checked"


def _tz_name() -> str:
    from django.conf import settings

    name = str(settings.TIME_ZONE or "UTC")
    if "'" in name:  # a zone name never holds a quote; refuse rather than write it into SQL
        raise ValueError(name)
    return name


def _month(connection, row: str) -> str:
    """SQL of the local month (first day) of `row`.created_at (row: NEW or OLD)."""
    if connection.vendor == "postgresql":
        return f"(date_trunc('month', {row}.created_at AT TIME ZONE '{_tz_name()}'))::date"
    return f"date({row}.created_at, 'localtime', 'start of month')"


def _values(connection, row: str) -> str:
    return (f"{row}.owner_id, COALESCE({row}.owner_id, 0), {row}.lead_source, {row}.stage, {row}.pyramid_tier, "
            f"{row}.value_class, {row}.is_deleted, {_month(connection, row)}")


def _add(connection, row: str) -> str:
    return (f"INSERT INTO {TABLE} (owner_id, owner_key, lead_source, stage, pyramid_tier, value_class, is_deleted, created_month, n) "
            f"VALUES ({_values(connection, row)}, 1) ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET n = {TABLE}.n + 1;")


def _remove(connection, row: str) -> str:
    return (f"UPDATE {TABLE} SET n = n - 1 WHERE owner_key = COALESCE({row}.owner_id, 0) AND lead_source = {row}.lead_source "
            f"AND stage = {row}.stage AND pyramid_tier = {row}.pyramid_tier AND value_class = {row}.value_class "
            f"AND is_deleted = {row}.is_deleted AND created_month = {_month(connection, row)};")


def _changed(connection) -> str:
    op = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in WATCHED)


REVENUE_TABLE = "reports_sourcerevenuemonth"
REVENUE_KEY = ("month", "owner_key", "lead_source", "referrer_customer_key", "referrer_contact_key", "referrer_agent", "live")
REVENUE_COLUMNS = "month, owner_id, owner_key, lead_source, referrer_customer_key, referrer_contact_key, referrer_agent, live, cents, rows"
REVENUE_UPSERT = (f"ON CONFLICT ({', '.join(REVENUE_KEY)}) DO UPDATE SET cents = {REVENUE_TABLE}.cents + excluded.cents, "
                  f"rows = {REVENUE_TABLE}.rows + excluded.rows;")


def _live(connection, row: str) -> str:
    """SQL: whether the customer `row` is live (not in the recycle bin nor merged away)."""
    if connection.vendor == "postgresql":
        return f"(NOT {row}.is_deleted AND {row}.merged_into_id IS NULL)"
    return f"({row}.is_deleted = 0 AND {row}.merged_into_id IS NULL)"


def _revenue_row(connection, row: str, sign: str) -> str:
    """One RevenueMonth row (NEW or OLD) added to (sign "") or taken from (sign "-") its cell,
    under its customer's lead source and state now."""
    return (f"INSERT INTO {REVENUE_TABLE} ({REVENUE_COLUMNS}) "
            f"SELECT {row}.month, {row}.owner_id, COALESCE({row}.owner_id, 0), {_referrer('c')}, {_live(connection, 'c')}, "
            f"{sign}{row}.revenue, {sign}1 FROM customers_customer c WHERE c.id = {row}.customer_id {REVENUE_UPSERT}")


def _referrer(row: str) -> str:
    """SQL: the customer `row`'s lead source and referrer keys."""
    return (f"{row}.lead_source, COALESCE({row}.referrer_customer_id, 0), COALESCE({row}.referrer_contact_id, 0), "
            f"{row}.referrer_agent")


def _revenue_customer(connection, row: str, sign: str) -> str:
    """Every RevenueMonth row of the customer `row` (NEW or OLD) added to or taken from its cell
    under that customer's lead source and state."""
    return (f"INSERT INTO {REVENUE_TABLE} ({REVENUE_COLUMNS}) "
            f"SELECT r.month, r.owner_id, COALESCE(r.owner_id, 0), {_referrer(row)}, {_live(connection, row)}, "
            f"{sign}SUM(r.revenue), {sign}COUNT(*) FROM sales_revenuemonth r WHERE r.customer_id = {row}.id "
            f"GROUP BY r.month, r.owner_id {REVENUE_UPSERT}")


def _customer_moved(connection) -> str:
    op = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    moved = " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in ("lead_source", "referrer_customer_id", "referrer_contact_id", "referrer_agent"))
    return f"{moved} OR {_live(connection, 'OLD')} {op} {_live(connection, 'NEW')}"


REVENUE_WATCHED = ("customer_id", "owner_id", "month", "revenue")
CUSTOMER_WATCHED = ("lead_source", "referrer_customer_id", "referrer_contact_id", "referrer_agent", "is_deleted", "merged_into_id")


SQLITE_TRIGGERS = ("reports_sourcecell_ai", "reports_sourcecell_ad", "reports_sourcecell_au",
                   "reports_sourcerevenue_ai", "reports_sourcerevenue_ad", "reports_sourcerevenue_au",
                   "reports_sourcerevenue_cu", "reports_sourcerevenue_cd")


# PostgreSQL: statement-level triggers over the statement's transition tables. A row-level trigger
# adds to the same few cells once per row, and within one transaction each such UPDATE of a cell
# row walks the chain of its earlier versions: a 20,000-customer import (one COPY) took 70 s
# instead of 4. One grouped upsert per statement costs what the statement's rows cost.
PG_OLD_TRIGGERS = [("reports_sourcecell_keep", "customers_customer"), ("reports_sourcerevenue_keep", "sales_revenuemonth")]


def _cells_from(connection, rows: str, sign: str) -> str:
    return (f"INSERT INTO {TABLE} (owner_id, owner_key, lead_source, stage, pyramid_tier, value_class, is_deleted, created_month, n) "
            f"SELECT MAX(r.owner_id), COALESCE(r.owner_id, 0), r.lead_source, r.stage, r.pyramid_tier, r.value_class, r.is_deleted, "
            f"{_month(connection, 'r')}, {sign}COUNT(*) FROM {rows} r WHERE true GROUP BY 2, 3, 4, 5, 6, 7, 8 "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET n = {TABLE}.n + excluded.n;")


def _revenue_from(connection, rows: str, sign: str) -> str:
    return (f"INSERT INTO {REVENUE_TABLE} ({REVENUE_COLUMNS}) "
            f"SELECT r.month, MAX(r.owner_id), COALESCE(r.owner_id, 0), {_referrer('c')}, {_live(connection, 'c')}, "
            f"{sign}SUM(r.revenue), {sign}COUNT(*) FROM {rows} r INNER JOIN customers_customer c ON c.id = r.customer_id "
            f"GROUP BY r.month, COALESCE(r.owner_id, 0), c.lead_source, COALESCE(c.referrer_customer_id, 0), "
            f"COALESCE(c.referrer_contact_id, 0), c.referrer_agent, {_live(connection, 'c')} {REVENUE_UPSERT}")


def _install_statement_triggers(cursor, connection) -> None:
    for name, table in PG_OLD_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in WATCHED)
    moved_old = f"(SELECT o.* FROM old_rows o INNER JOIN new_rows n ON n.id = o.id WHERE {changed})"
    moved_new = f"(SELECT n.* FROM old_rows o INNER JOIN new_rows n ON n.id = o.id WHERE {changed})"
    functions = {
        "reports_sourcecell_ins": _cells_from(connection, "new_rows", ""),
        "reports_sourcecell_del": _cells_from(connection, "old_rows", "-"),
        "reports_sourcecell_upd": _cells_from(connection, moved_old, "-") + "\n    " + _cells_from(connection, moved_new, ""),
        "reports_sourcerevenue_ins": _revenue_from(connection, "new_rows", ""),
        "reports_sourcerevenue_del": _revenue_from(connection, "old_rows", "-"),
        "reports_sourcerevenue_upd": _revenue_from(connection, "old_rows", "-") + "\n    " + _revenue_from(connection, "new_rows", ""),
    }
    for name, body in functions.items():
        cursor.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$\nBEGIN\n    {body}\n  RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql")
    events = {"ins": ("INSERT", "NEW TABLE AS new_rows"), "del": ("DELETE", "OLD TABLE AS old_rows"),
              "upd": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")}
    for prefix, table in (("reports_sourcecell", "customers_customer"), ("reports_sourcerevenue", "sales_revenuemonth")):
        for suffix, (event, referencing) in events.items():
            name = f"{prefix}_{suffix}"
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")


def install(connection=None) -> None:
    """Create (or replace) the triggers that keep the cells on every write of a customer."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _install_statement_triggers(cursor, connection)
            cursor.execute(f"""
CREATE OR REPLACE FUNCTION reports_sourcerevenue_customer() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    {_revenue_customer(connection, 'OLD', '-')}
  ELSIF {_customer_moved(connection)} THEN
    {_revenue_customer(connection, 'OLD', '-')}
    {_revenue_customer(connection, 'NEW', '')}
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql""")
            cursor.execute("DROP TRIGGER IF EXISTS reports_sourcerevenue_customer ON customers_customer")
            cursor.execute("CREATE TRIGGER reports_sourcerevenue_customer AFTER DELETE OR UPDATE OF "
                           f"{', '.join(CUSTOMER_WATCHED)} ON customers_customer FOR EACH ROW EXECUTE FUNCTION reports_sourcerevenue_customer()")
            return
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(_sqlite_insert_trigger(connection))
        cursor.execute(f"CREATE TRIGGER reports_sourcecell_ad AFTER DELETE ON customers_customer BEGIN {_remove(connection, 'OLD')} END")
        cursor.execute(f"CREATE TRIGGER reports_sourcecell_au AFTER UPDATE OF {', '.join(WATCHED)} ON customers_customer "
                       f"WHEN {_changed(connection)} BEGIN {_remove(connection, 'OLD')} {_add(connection, 'NEW')} END")
        cursor.execute(f"CREATE TRIGGER reports_sourcerevenue_ai AFTER INSERT ON sales_revenuemonth BEGIN {_revenue_row(connection, 'NEW', '')} END")
        cursor.execute(f"CREATE TRIGGER reports_sourcerevenue_ad AFTER DELETE ON sales_revenuemonth BEGIN {_revenue_row(connection, 'OLD', '-')} END")
        cursor.execute(f"CREATE TRIGGER reports_sourcerevenue_au AFTER UPDATE OF {', '.join(REVENUE_WATCHED)} ON sales_revenuemonth "
                       f"BEGIN {_revenue_row(connection, 'OLD', '-')} {_revenue_row(connection, 'NEW', '')} END")
        cursor.execute(f"CREATE TRIGGER reports_sourcerevenue_cu AFTER UPDATE OF {', '.join(CUSTOMER_WATCHED)} ON customers_customer "
                       f"WHEN {_customer_moved(connection)} BEGIN {_revenue_customer(connection, 'OLD', '-')} "
                       f"{_revenue_customer(connection, 'NEW', '')} END")
        cursor.execute(f"CREATE TRIGGER reports_sourcerevenue_cd AFTER DELETE ON customers_customer "
                       f"BEGIN {_revenue_customer(connection, 'OLD', '-')} END")


def _sqlite_insert_trigger(connection) -> str:
    return f"CREATE TRIGGER reports_sourcecell_ai AFTER INSERT ON customers_customer BEGIN {_add(connection, 'NEW')} END"


@contextmanager
def deferred_inserts():
    """For a bulk writer of new customers, inside its transaction (the customer import): on SQLite
    the per-row INSERT trigger of the cells is dropped (in a savepoint: an error, a rollback or
    `kill -9` leaves it in place), and on leaving the block the customers inserted meanwhile — the
    ids above the largest before it; the writer's transaction holds SQLite's write lock, so they
    are its own — are added to their cells by one grouped statement, and the trigger is created
    again from the same text. 20,000 customers: ~1.3 s of row triggers become one statement.
    PostgreSQL (statement-level triggers already), outside a transaction, or with the trigger not
    in place: nothing."""
    connection = default_connection
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'reports_sourcecell_ai'")
        row = cursor.fetchone()
    if row is None or row[0] != _sqlite_insert_trigger(connection):
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM customers_customer")
            before = cursor.fetchone()[0]
            cursor.execute("DROP TRIGGER reports_sourcecell_ai")
        yield
        with connection.cursor() as cursor:
            cursor.execute(_cells_from(connection, "(SELECT * FROM customers_customer WHERE id > %s)", ""), [before])
            cursor.execute(_sqlite_insert_trigger(connection))


def uninstall(connection=None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table in PG_OLD_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            for prefix, table in (("reports_sourcecell", "customers_customer"), ("reports_sourcerevenue", "sales_revenuemonth")):
                for suffix in ("ins", "del", "upd"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {prefix}_{suffix} ON {table}")
                    cursor.execute(f"DROP FUNCTION IF EXISTS {prefix}_{suffix}()")
            cursor.execute("DROP TRIGGER IF EXISTS reports_sourcerevenue_customer ON customers_customer")
            cursor.execute("DROP FUNCTION IF EXISTS reports_sourcerevenue_customer()")
            return
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _live_sql(connection) -> str:
    """The cells as the customers table gives them now (key…, n)."""
    return (f"SELECT COALESCE(c.owner_id, 0) AS o, c.lead_source AS s, c.stage AS st, c.pyramid_tier AS t, c.value_class AS v, "
            f"c.is_deleted AS d, {_month(connection, 'c')} AS m, COUNT(*) AS n FROM customers_customer c GROUP BY 1, 2, 3, 4, 5, 6, 7")


def _norm(row) -> tuple:
    *key, n = row
    key[5] = bool(key[5])
    key[6] = str(key[6])
    return (*key, int(n))


def differences(connection=None) -> int:
    """How many cells differ from the customers table (missing, extra or wrong; cells of 0 ignored)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(_live_sql(connection))
        live = {_norm(r)[:-1]: _norm(r)[-1] for r in cursor.fetchall()}
        cursor.execute(f"SELECT {', '.join(KEY)}, n FROM {TABLE} WHERE n <> 0")
        stored = {_norm(r)[:-1]: _norm(r)[-1] for r in cursor.fetchall()}
        cursor.execute(_revenue_live_sql(connection))
        live_revenue = {tuple(_rnorm(r)[:7]): _rnorm(r)[7:] for r in cursor.fetchall()}
        cursor.execute(f"SELECT {', '.join(REVENUE_KEY)}, cents, rows FROM {REVENUE_TABLE} WHERE rows <> 0 OR cents <> 0")
        stored_revenue = {tuple(_rnorm(r)[:7]): _rnorm(r)[7:] for r in cursor.fetchall()}
    wrong = sum(1 for key in live.keys() | stored.keys() if live.get(key) != stored.get(key))
    return wrong + sum(1 for key in live_revenue.keys() | stored_revenue.keys() if live_revenue.get(key) != stored_revenue.get(key))


def _revenue_live_sql(connection) -> str:
    """The revenue cells as RevenueMonth joined to its customers gives them now (key…, cents, rows)."""
    return (f"SELECT r.month AS m, COALESCE(r.owner_id, 0) AS o, c.lead_source AS s, COALESCE(c.referrer_customer_id, 0) AS rc, "
            f"COALESCE(c.referrer_contact_id, 0) AS rcon, c.referrer_agent AS a, {_live(connection, 'c')} AS l, "
            "SUM(r.revenue) AS cents, COUNT(*) AS n FROM sales_revenuemonth r INNER JOIN customers_customer c ON c.id = r.customer_id "
            "GROUP BY 1, 2, 3, 4, 5, 6, 7")


def _rnorm(row) -> tuple:
    month, owner, source, rc, rcon, agent, live, cents, n = row
    return (str(month), int(owner), source, int(rc), int(rcon), agent, bool(live), int(cents), int(n))


def fill(connection=None) -> int:
    """Rewrite every cell from the customers table (in one transaction, the customers' table
    locked for writes on PostgreSQL meanwhile). Returns the cells written."""
    connection = connection or default_connection
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE customers_customer IN SHARE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(f"INSERT INTO {TABLE} (owner_id, {', '.join(KEY)}, n) "
                       f"SELECT NULLIF(k.o, 0), k.o, k.s, k.st, k.t, k.v, k.d, k.m, k.n FROM ({_live_sql(connection)}) k")
        written = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE sales_revenuemonth IN SHARE MODE")
        cursor.execute(f"DELETE FROM {REVENUE_TABLE}")
        cursor.execute(f"INSERT INTO {REVENUE_TABLE} ({REVENUE_COLUMNS}) "
                       f"SELECT k.m, NULLIF(k.o, 0), k.o, k.s, k.rc, k.rcon, k.a, k.l, k.cents, k.n FROM ({_revenue_live_sql(connection)}) k")
        return written + cursor.rowcount


def rebuild(*, now=None, reinstall: bool = True) -> int:
    """The triggers reinstalled (the time zone as configured now) and the cells compared with the
    customers; rewritten when any differs. Returns the number of cells that differed (0 when the
    cells were right, as they should be)."""
    if reinstall:
        install()
    wrong = differences()
    if wrong:
        fill()
    return wrong


def daily_source_cells(*, now) -> int:
    """The `kehu daily` step: once a day, the cells checked against the customers."""
    from kehu.core.sequences import once_a_day

    return once_a_day(CHECKED, now=now, work=lambda: rebuild(now=now, reinstall=False))

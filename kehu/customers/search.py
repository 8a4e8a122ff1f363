"""The customer search through an index (issue 13): the same matches as the LIKE rule of
`kehu.customers.selectors.customer_search_like_q`, found without reading every customer.

- SQLite: two FTS5 tables with the trigram tokenizer (`customers_search_fts`: name, code,
  initials, pinyin, phone of each customer, rowid = customer id; `customers_contact_search_fts`:
  name, phone of each contact, rowid = contact id) answer texts of three characters or more;
  each trigram match is checked with the rule's LIKE on the FTS copy (trigrams fold case more
  widely than LIKE). Trigrams cannot answer one or two characters (华为), so
  `customers_search_gram` holds every one- and two-character piece (ASCII lowered, as SQLite's
  LIKE folds) of customer names (kind 1), pinyin initials (kind 2) and contact names (kind 3);
  code, initials and pinyin prefixes are ranges on lower(…) indexes. The SQL is exact by
  construction. Triggers (migration 0014) keep all of it on every write, bulk ones included;
  `kehu search rebuild` rebuilds it from the tables.
- PostgreSQL: expression indexes, always exact, nothing to keep: pg_trgm GIN on UPPER(name)
  (what `icontains` compares), initials, phone, contact name and phone; for one or two
  characters a GIN index on the array of one- and two-character pieces of UPPER(name)
  (`kehu_search_grams`); pattern B-trees for code and pinyin prefixes. They give CANDIDATES (a
  UNION of one-index selects) on which the rule itself is checked.
"""

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

KIND_NAME, KIND_INITIALS, KIND_CONTACT = 1, 2, 3
TRIGRAM = 3  # the shortest text a trigram index answers
MAX_GRAM_SOURCE = 4000  # the longest value the SQLite triggers cut into pieces (names are ≤ 200)


def ascii_lower(text: str) -> str:
    """Lower case as SQLite's LIKE and lower() fold: ASCII letters only."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def _phrase(column: str, text: str) -> str:
    return f'{column} : "{text.replace(chr(34), chr(34) * 2)}"'


def _like_contains(text: str) -> str:
    return "%" + _escape(text) + "%"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- candidates ---------------------------------------------------------------------------------
# terms: what the rule looks for — `text` (name, code), `lowered` (initials, pinyin, or None when
# the text is not ASCII letters and digits), `digits` (phones, or "" when not a phone number).


def _next_prefix(prefix: str) -> str:
    """The smallest string after every string that starts with `prefix` (code-point order)."""
    last = ord(prefix[-1])
    if last < 0x10FFFF:
        return prefix[:-1] + chr(0xE000 if last == 0xD7FF else last + 1)  # (no lone surrogates)
    return prefix + "\U0010ffff"


def _prefix_range(column: str, prefix: str, sql: list, params: list, table: str = "customers_customer") -> None:
    """Rows whose lower(`column`) starts with `prefix` (ASCII-lowered), as a range on the
    lower(`column`) index: exactly `column LIKE 'prefix%'` (SQLite's LIKE folds ASCII only)."""
    low = ascii_lower(prefix)
    sql.append(f"SELECT id FROM {table} WHERE lower({column}) >= %s AND lower({column}) < %s")
    params += [low, _next_prefix(low)]


def _sqlite_gram(kind: int, text: str, sql: list, params: list) -> None:
    """Exactly the rows whose value contains `text` (one or two characters, LIKE's folding)."""
    gram = ascii_lower(text)
    if len(text) == 2:
        sql.append("SELECT ref_id FROM customers_search_gram WHERE gram = %s AND kind = %s")
        params += [gram, kind]
    else:  # one character: every piece that starts with it
        sql.append("SELECT ref_id FROM customers_search_gram WHERE gram >= %s AND gram < %s AND kind = %s")
        params += [gram, _next_prefix(gram), kind]


def _fts(table: str, checks: list, sql: list, params: list) -> None:
    """Rows of the FTS5 `table` matching every (column, needle, pattern) of `checks` by trigram,
    then checked with LIKE on the stored copy (trigrams fold more than LIKE does): exact."""
    if not checks:
        return
    match = " OR ".join(_phrase(column, needle) for column, needle, _pattern in checks)
    like = " OR ".join(f"({column} || '') LIKE %s ESCAPE '\\'" for column, _needle, _pattern in checks)
    sql.insert(0, f"SELECT rowid FROM {table} WHERE {table} MATCH %s AND ({like})")
    params[:0] = [match] + [pattern for _column, _needle, pattern in checks]


def _sqlite_customer_ids(text, lowered, digits):
    """SQL selecting exactly the ids of the customers the rule matches (their own fields and
    their live contacts)."""
    sql, params, checks = [], [], []
    if len(text) >= TRIGRAM:
        checks.append(("name", text, _like_contains(text)))
    else:
        _sqlite_gram(KIND_NAME, text, sql, params)
    _prefix_range("code", text, sql, params)  # code = text or starts with it
    if lowered:
        _prefix_range("name_initials", lowered, sql, params)
        _prefix_range("name_pinyin", lowered, sql, params)
        if len(lowered) >= TRIGRAM:
            checks.append(("initials", lowered, _like_contains(lowered)))
        elif len(lowered) == 2:
            _sqlite_gram(KIND_INITIALS, lowered, sql, params)
    if digits:
        checks.append(("phone", digits, _like_contains(digits)))
    _fts("customers_search_fts", checks, sql, params)
    contact_sql, contact_params = _sqlite_contact_ids(text, digits)
    sql.append(f"SELECT customer_id FROM customers_contact WHERE NOT is_deleted AND id IN ({contact_sql})")
    return " UNION ".join(sql), params + contact_params


def _sqlite_contact_ids(text, digits):
    """SQL selecting exactly the ids of the contacts (deleted or not) whose name contains
    `text` or whose phone contains `digits`."""
    sql, params, checks = [], [], []
    if len(text) >= TRIGRAM:
        checks.append(("name", text, _like_contains(text)))
    else:
        _sqlite_gram(KIND_CONTACT, text, sql, params)
    if digits:
        checks.append(("phone", digits, _like_contains(digits)))
    _fts("customers_contact_search_fts", checks, sql, params)
    return " UNION ".join(sql), params


def _pg_customer_candidates(text, lowered, digits):
    where, params = [], []
    if len(text) >= TRIGRAM:
        where.append("UPPER(name::text) LIKE UPPER(%s)")
        params.append(_like_contains(text))
    else:
        where.append("kehu_search_grams(UPPER(name::text)) @> ARRAY[UPPER(%s)]")
        params.append(text)
    where.append("UPPER(code::text) LIKE UPPER(%s)")
    params.append(_escape(text) + "%")
    if lowered:
        where.append("name_initials::text LIKE %s")
        params.append(_escape(lowered) + "%")
        if len(lowered) >= TRIGRAM:
            where.append("name_initials::text LIKE %s")
            params.append(_like_contains(lowered))
        elif len(lowered) == 2:
            where.append("kehu_search_grams(name_initials::text) @> ARRAY[%s]::text[]")
            params.append(lowered)
        where.append("name_pinyin::text LIKE %s")
        params.append(_escape(lowered) + "%")
    if digits:
        where.append("phone_normalized::text LIKE %s")
        params.append(_like_contains(digits))
    return _pg_union("customers_customer", where), params


def _pg_contact_candidates(text, digits):
    if len(text) >= TRIGRAM:
        where, params = ["UPPER(name::text) LIKE UPPER(%s)"], [_like_contains(text)]
    else:
        where, params = ["kehu_search_grams(UPPER(name::text)) @> ARRAY[UPPER(%s)]"], [text]
    if digits:
        where.append("phone_normalized::text LIKE %s")
        params.append(_like_contains(digits))
    return _pg_union("customers_contact", where), params


def _pg_union(table: str, where: list) -> str:
    """One SELECT per condition, each answered by its own index (an OR of them would be
    re-checked row by row, calling kehu_search_grams for every row)."""
    return " UNION ".join(f"SELECT id FROM {table} WHERE {condition}" for condition in where)


def contact_candidates_exact(text: str) -> bool:
    """Whether the contact candidates are exactly the rule's contacts, so the rule's LIKE need
    not be checked on them: on PostgreSQL a text shorter than a trigram is matched through the
    names' pieces, which are every 1- and 2-character piece (and the phone part is the LIKE
    itself). Checking the LIKE there anyway lets the planner pick the trigram index for it,
    which cannot narrow a 2-character text (the whole table rechecked: 25 ms at 100,000)."""
    return connection.vendor == "postgresql" and len(text) < TRIGRAM


def contact_candidates_q(*, text: str, digits: str) -> Q:
    """Contacts that may have `text` in their name or `digits` in their phone, through the
    index: a superset; filter with the LIKE rule on top (the global search's contact group)."""
    if connection.vendor == "postgresql":
        sql, params = _pg_contact_candidates(text, digits)
    else:
        sql, params = _sqlite_contact_ids(text, digits)
    return Q(pk__in=RawSQL(sql, params))


BROAD = 1000  # from this many matches on, a newest-first page walks the created_at index


def is_broad(*, text: str, lowered: str | None, digits: str, ids=None) -> bool:
    """Whether the text matches BROAD customers or more (one short query reading at most BROAD
    rows). Few matches: the page reads them through the index and sorts them; many (科技 in a
    firm of 科技 companies): the page is better found walking its sort order. SQLite counts the
    exact ids (`ids`, from matching_ids); PostgreSQL the customers' own candidates, UNION ALL
    (a UNION would be computed whole before the LIMIT)."""
    if connection.vendor == "postgresql":
        sql, params = _pg_customer_candidates(text, lowered, digits)
        sql = sql.replace(" UNION ", " UNION ALL ")
    else:
        sql, params = ids.sql, ids.params
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM ({sql}) AS ids LIMIT {BROAD}) AS probe", params)
        return cursor.fetchone()[0] >= BROAD


def matching_id_list(*, text: str, lowered: str | None, digits: str, customer_q: Q, contact_q: Q,
                     limit: int | None = None) -> list[int] | None:
    """The ids `matching_ids` selects, read in ONE query, in ascending order — or None when the
    text matches `limit` customers or more (then the caller walks its own order: `is_broad`).
    The page then filters on the literal ids, so the index is read once, not again by the page
    query and again by its count. SQLite: the exact ids (a UNION) under a LIMIT; PostgreSQL: the
    customers' and the contacts' exact parts as a UNION ALL under the LIMIT (it stops early on a
    broad text; a customer found twice is counted twice there, which only moves the threshold)."""
    limit = int(limit or BROAD)
    if connection.vendor != "postgresql":
        sql, params = _sqlite_customer_ids(text, lowered, digits)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({sql}) AS ids LIMIT {limit}", params)
            rows = cursor.fetchall()
    else:
        customers, contacts = _pg_matching(text=text, lowered=lowered, digits=digits, customer_q=customer_q,
                                           contact_q=contact_q)
        rows = list(customers.values_list("pk").union(contacts.values_list("customer_id"), all=True)[:limit])
    if len(rows) >= limit:
        return None
    return sorted({row[0] for row in rows})


def _pg_matching(*, text, lowered, digits, customer_q, contact_q):
    """(customers, live contacts) querysets of PostgreSQL's exact matches: the candidates of the
    indexes with the rule checked on them."""
    from kehu.customers.models import Contact, Customer

    customer_sql, customer_params = _pg_customer_candidates(text, lowered, digits)
    contact_sql, contact_params = _pg_contact_candidates(text, digits)
    customers = Customer.objects.order_by().filter(Q(pk__in=RawSQL(customer_sql, customer_params)) & customer_q)
    contact_match = Q(pk__in=RawSQL(contact_sql, contact_params))
    if not contact_candidates_exact(text):
        contact_match &= contact_q
    contacts = Contact.objects.order_by().filter(contact_match, is_deleted=False)
    return customers, contacts


def matching_ids(*, text: str, lowered: str | None, digits: str, customer_q: Q, contact_q: Q):
    """A subquery of the ids of the customers whose fields match `customer_q` or that have a live
    contact matching `contact_q` — the rule — answered through the index. `text` is stripped
    and not empty; `lowered` / `digits` are the rule's ASCII and phone forms (None / "" when
    the rule does not compare initials, pinyin or phones)."""
    if connection.vendor != "postgresql":
        # Exact by construction (pieces, prefix ranges, trigram matches checked with LIKE).
        return RawSQL(*_sqlite_customer_ids(text, lowered, digits))
    customers, contacts = _pg_matching(text=text, lowered=lowered, digits=digits, customer_q=customer_q,
                                       contact_q=contact_q)
    return customers.values("pk").union(contacts.values("customer_id"))


# --- keeping and rebuilding the SQLite index ------------------------------------------------------

def _gram_insert(kind: int, source: str, table: str, ref: str = "id", where: str = "") -> str:
    return (
        "INSERT OR IGNORE INTO customers_search_gram (gram, kind, ref_id) "
        f"SELECT lower(substr(t.{source}, n.n, 2)), {kind}, t.{ref} FROM {table} t "
        f"JOIN customers_search_number n ON n.n <= length(t.{source}) {where}"
    )


def _row_gram_insert(kind: int, value: str, ref: str) -> str:
    return (
        "INSERT OR IGNORE INTO customers_search_gram (gram, kind, ref_id) "
        f"SELECT lower(substr({value}, n, 2)), {kind}, {ref} FROM customers_search_number WHERE n <= length({value});"
    )


CUSTOMER_FTS_INSERT = (
    "INSERT INTO customers_search_fts (rowid, name, code, initials, pinyin, phone) "
    "VALUES (NEW.id, NEW.name, NEW.code, NEW.name_initials, NEW.name_pinyin, NEW.phone_normalized);"
)
CONTACT_FTS_INSERT = (
    "INSERT INTO customers_contact_search_fts (rowid, name, phone) VALUES (NEW.id, NEW.name, NEW.phone_normalized);"
)
CUSTOMER_FTS_DELETE = (
    "DELETE FROM customers_search_fts WHERE rowid = OLD.id;"
    " DELETE FROM customers_search_gram WHERE ref_id = OLD.id AND kind IN (1, 2);"
)
CONTACT_FTS_DELETE = (
    "DELETE FROM customers_contact_search_fts WHERE rowid = OLD.id;"
    " DELETE FROM customers_search_gram WHERE ref_id = OLD.id AND kind = 3;"
)
CUSTOMER_NEW = CUSTOMER_FTS_INSERT + " " + _row_gram_insert(KIND_NAME, "NEW.name", "NEW.id") + " " + _row_gram_insert(
    KIND_INITIALS, "NEW.name_initials", "NEW.id")
CONTACT_NEW = CONTACT_FTS_INSERT + " " + _row_gram_insert(KIND_CONTACT, "NEW.name", "NEW.id")

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE customers_search_fts USING fts5(name, code, initials, pinyin, phone, tokenize='trigram case_sensitive 0')",
    "CREATE VIRTUAL TABLE customers_contact_search_fts USING fts5(name, phone, tokenize='trigram case_sensitive 0')",
    "CREATE TABLE customers_search_gram (gram TEXT NOT NULL, kind INTEGER NOT NULL, ref_id INTEGER NOT NULL,"
    " PRIMARY KEY (gram, kind, ref_id)) WITHOUT ROWID",
    "CREATE INDEX customers_search_gram_ref ON customers_search_gram (ref_id, kind)",
    "CREATE TABLE customers_search_number (n INTEGER PRIMARY KEY)",
    f"INSERT INTO customers_search_number (n) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {MAX_GRAM_SOURCE}) SELECT n FROM s",
    f"CREATE TRIGGER customers_search_ai AFTER INSERT ON customers_customer BEGIN {CUSTOMER_NEW} END",
    f"CREATE TRIGGER customers_search_ad AFTER DELETE ON customers_customer BEGIN {CUSTOMER_FTS_DELETE} END",
    "CREATE TRIGGER customers_search_au AFTER UPDATE OF id, name, code, name_initials, name_pinyin, phone_normalized"
    f" ON customers_customer BEGIN {CUSTOMER_FTS_DELETE} {CUSTOMER_NEW} END",
    f"CREATE TRIGGER customers_contact_search_ai AFTER INSERT ON customers_contact BEGIN {CONTACT_NEW} END",
    f"CREATE TRIGGER customers_contact_search_ad AFTER DELETE ON customers_contact BEGIN {CONTACT_FTS_DELETE} END",
    "CREATE TRIGGER customers_contact_search_au AFTER UPDATE OF id, name, phone_normalized"
    f" ON customers_contact BEGIN {CONTACT_FTS_DELETE} {CONTACT_NEW} END",
    # Prefixes as exact ranges (lower() folds ASCII only, as LIKE does).
    "CREATE INDEX customers_customer_code_lower ON customers_customer (lower(code))",
    "CREATE INDEX customers_customer_initials_lower ON customers_customer (lower(name_initials))",
    "CREATE INDEX customers_customer_pinyin_lower ON customers_customer (lower(name_pinyin))",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS customers_search_ai", "DROP TRIGGER IF EXISTS customers_search_ad",
    "DROP TRIGGER IF EXISTS customers_search_au", "DROP TRIGGER IF EXISTS customers_contact_search_ai",
    "DROP TRIGGER IF EXISTS customers_contact_search_ad", "DROP TRIGGER IF EXISTS customers_contact_search_au",
    "DROP TABLE IF EXISTS customers_search_fts", "DROP TABLE IF EXISTS customers_contact_search_fts",
    "DROP TABLE IF EXISTS customers_search_gram", "DROP TABLE IF EXISTS customers_search_number",
    "DROP INDEX IF EXISTS customers_customer_code_lower", "DROP INDEX IF EXISTS customers_customer_initials_lower",
    "DROP INDEX IF EXISTS customers_customer_pinyin_lower",
]
SQLITE_FILL = [
    "DELETE FROM customers_search_fts",
    "DELETE FROM customers_contact_search_fts",
    "DELETE FROM customers_search_gram",
    "INSERT INTO customers_search_fts (rowid, name, code, initials, pinyin, phone)"
    " SELECT id, name, code, name_initials, name_pinyin, phone_normalized FROM customers_customer",
    "INSERT INTO customers_contact_search_fts (rowid, name, phone) SELECT id, name, phone_normalized FROM customers_contact",
    _gram_insert(KIND_NAME, "name", "customers_customer"),
    _gram_insert(KIND_INITIALS, "name_initials", "customers_customer"),
    _gram_insert(KIND_CONTACT, "name", "customers_contact"),
]

PG_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # One- and two-character pieces of a text: what a trigram index cannot answer.
    "CREATE OR REPLACE FUNCTION kehu_search_grams(t text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$"
    " DECLARE pieces text[] := '{}';"
    " BEGIN FOR i IN 1..length(t) LOOP pieces := pieces || substr(t, i, 1) || substr(t, i, 2); END LOOP;"
    " RETURN pieces; END $$",
    "CREATE INDEX customers_customer_name_trgm ON customers_customer USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX customers_customer_name_grams ON customers_customer USING gin (kehu_search_grams(UPPER(name::text)))",
    "CREATE INDEX customers_customer_code_upper ON customers_customer (UPPER(code::text) text_pattern_ops)",
    "CREATE INDEX customers_customer_initials_trgm ON customers_customer USING gin (name_initials gin_trgm_ops)",
    "CREATE INDEX customers_customer_initials_grams ON customers_customer USING gin (kehu_search_grams(name_initials::text))",
    "CREATE INDEX customers_customer_pinyin_prefix ON customers_customer (name_pinyin varchar_pattern_ops)",
    "CREATE INDEX customers_customer_phone_trgm ON customers_customer USING gin (phone_normalized gin_trgm_ops)",
    "CREATE INDEX customers_contact_name_trgm ON customers_contact USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX customers_contact_name_grams ON customers_contact USING gin (kehu_search_grams(UPPER(name::text)))",
    "CREATE INDEX customers_contact_phone_trgm ON customers_contact USING gin (phone_normalized gin_trgm_ops)",
]
PG_INDEXES = ["customers_customer_name_trgm", "customers_customer_name_grams", "customers_customer_code_upper",
              "customers_customer_initials_trgm", "customers_customer_initials_grams", "customers_customer_pinyin_prefix",
              "customers_customer_phone_trgm", "customers_contact_name_trgm", "customers_contact_name_grams",
              "customers_contact_phone_trgm"]
PG_DROP = [f"DROP INDEX IF EXISTS {name}" for name in PG_INDEXES] + ["DROP FUNCTION IF EXISTS kehu_search_grams(text)"]


def install(schema_editor=None) -> None:
    """Create the index (migration 0014) and fill it from the tables."""
    cursor_owner = schema_editor.connection if schema_editor else connection
    statements = PG_CREATE if cursor_owner.vendor == "postgresql" else SQLITE_CREATE + SQLITE_FILL
    with cursor_owner.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(schema_editor=None) -> None:
    cursor_owner = schema_editor.connection if schema_editor else connection
    statements = PG_DROP if cursor_owner.vendor == "postgresql" else SQLITE_DROP
    with cursor_owner.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def rebuild() -> dict:
    """Rebuild the search index from the customer and contact tables (`kehu search rebuild`).
    SQLite: the FTS5 and piece tables refilled in one transaction; PostgreSQL: REINDEX of the
    expression indexes (they are never out of date; this only compacts them)."""
    from kehu.customers.models import Contact, Customer

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in PG_INDEXES:
                cursor.execute(f"REINDEX INDEX {name}")
        else:
            for sql in SQLITE_FILL:
                cursor.execute(sql)
    return {"customers": Customer.objects.count(), "contacts": Contact.objects.count()}


# --- opportunity titles (the top bar's search, issue 13) -------------------------------------------
# The global search matches an opportunity by `title icontains text` or a code prefix. Read as a
# LIKE over every title (20,000 at full size: 5–13 ms under load). SQLite: an index on (title,
# code) lets the same LIKE read the narrow index instead of the table (no trigger to keep).
# PostgreSQL: pg_trgm GIN on UPPER(title) for three characters or more, the piece array for one or
# two (exactly every 1- and 2-character piece), each a select of a UNION with the code ranges.

OPPORTUNITY_SQLITE_CREATE = [
    "CREATE INDEX IF NOT EXISTS sales_opportunity_title_search ON sales_opportunity (title, code)",
]
OPPORTUNITY_SQLITE_DROP = ["DROP INDEX IF EXISTS sales_opportunity_title_search"]
OPPORTUNITY_PG_CREATE = [
    "CREATE INDEX IF NOT EXISTS sales_opportunity_title_trgm ON sales_opportunity USING gin (UPPER(title::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS sales_opportunity_title_grams ON sales_opportunity USING gin (kehu_search_grams(UPPER(title::text)))",
]
OPPORTUNITY_PG_DROP = ["DROP INDEX IF EXISTS sales_opportunity_title_trgm", "DROP INDEX IF EXISTS sales_opportunity_title_grams"]


def install_opportunity_titles(schema_editor=None, *, drop: bool = False) -> None:
    """Create (or with `drop`, remove) the opportunity title index (sales migration 0017)."""
    owner = schema_editor.connection if schema_editor else connection
    if owner.vendor == "postgresql":
        statements = OPPORTUNITY_PG_DROP if drop else OPPORTUNITY_PG_CREATE
    else:
        statements = OPPORTUNITY_SQLITE_DROP if drop else OPPORTUNITY_SQLITE_CREATE
    with owner.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def opportunity_match_q(text: str, code_prefixes: list[str]) -> Q:
    """Opportunities whose title contains `text` (case-insensitive, as `icontains`) or whose code
    starts with one of `code_prefixes` — exactly — through the index. `text` is not empty."""
    title, code = Q(title__icontains=text), Q()
    for prefix in code_prefixes:
        code |= Q(code__gte=prefix, code__lt=prefix + "\U0010ffff")
    if connection.vendor != "postgresql":
        return title | code  # the LIKE and the ranges read the (title, code) index
    if len(text) >= TRIGRAM:
        sql, params = ["SELECT id FROM sales_opportunity WHERE UPPER(title::text) LIKE UPPER(%s)"], [_like_contains(text)]
    else:
        sql, params = ["SELECT id FROM sales_opportunity WHERE kehu_search_grams(UPPER(title::text)) @> ARRAY[UPPER(%s)]"], [text]
    for prefix in code_prefixes:
        sql.append("SELECT id FROM sales_opportunity WHERE code >= %s AND code < %s")
        params += [prefix, prefix + "\U0010ffff"]
    candidates = Q(pk__in=RawSQL(" UNION ".join(sql), params))
    if len(text) < TRIGRAM:
        # The pieces are the rule there (every 1- and 2-character piece of UPPER(title)); checking
        # the LIKE too would let the planner read the trigram index, which cannot narrow it.
        return candidates
    return candidates & (title | code)

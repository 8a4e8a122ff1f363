"""Several small reads of one page in ONE query (issue 13: the search pages within 20 ms — on
PostgreSQL each query is a round trip of about a millisecond).

Each part is a select of seven columns `(o1, o2, o3, pk, a, b, c)`: o1..o3 the part's own order
(what its ORDER BY sorts by, so the outer ORDER BY keeps it), `pk` an integer, a..c texts. The
parts run as one UNION ALL, `ORDER BY kind, o1, o2, o3`; `read_union` gives back {key: [rows]}
in each part's order. A part's LIMIT stays inside it. On PostgreSQL the parts are sent as
separate statements in the same single round trip (each planned alone, each sorted by kind, o1,
o2, o3, then pk): the same rows in the same order, cheaper to plan than one UNION ALL.

Used by the top bar's search (every kind found, kehu.reports.selectors.search) and the customer
list (its filter drop-downs and the page's tags), with the header's counts riding along
(kehu.core.context_processors.HeaderBadges.union_parts).
"""

from django.core.exceptions import EmptyResultSet
from django.db import connection

SEPARATE_STATEMENTS = True  # PostgreSQL: the parts as statements of one round trip (read_union)


def queryset_part(key: str, number: int, qs):
    """A part from a `values_list` queryset of the seven columns (in that order), or None when it
    can select nothing (a scope that sees nothing, a search matching nobody: EmptyResultSet)."""
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return None
    return key, number, sql, list(params)


def scalar_part(key: str, number: int, sql: str, params) -> tuple:
    """A part of one row whose `pk` is the value of `sql` (a count)."""
    return key, number, f"SELECT 0 AS o1, 0 AS o2, NULL AS o3, ({sql}) AS pk, NULL AS a, NULL AS b, NULL AS c", list(params)


def read_union(parts) -> dict[str, list[tuple]]:
    """{key: [(o1, o2, o3, pk, a, b, c), …]} of every part (None parts skipped) — ONE query."""
    parts = [part for part in parts if part is not None]
    found = {}
    if not parts:
        return found
    keys = {number: key for key, number, _sql, _params in parts}
    if len(keys) != len(parts):
        raise ValueError("two parts share a number")
    params = [p for *_rest, part_params in parts for p in part_params]
    if connection.vendor == "postgresql" and SEPARATE_STATEMENTS:
        # Issue 13, fourth pass: on PostgreSQL the parts go as separate statements in ONE round
        # trip (the simple query protocol), each planned alone: the planner's work on one UNION
        # ALL of eight parts (each joining the customers and their ~40 indexes) was more than on
        # its parts one by one (top bar's search, manager: 6–8 → 5.7 ms of server CPU). Each
        # statement sorts its part as the UNION's ORDER BY did (kind, o1, o2, o3), then by pk.
        sql = "; ".join(f"SELECT {number} AS kind, part.* FROM ({part_sql}) part ORDER BY 2, 3, 4, 5"
                        for _key, number, part_sql, _p in parts)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while True:
                for number, *row in cursor.fetchall():
                    found.setdefault(keys[number], []).append(tuple(row))
                if not cursor.cursor.nextset():
                    break
        return found
    sql = " UNION ALL ".join(f"SELECT {number} AS kind, part.* FROM ({part_sql}) part" for _key, number, part_sql, _p in parts)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) found ORDER BY 1, 2, 3, 4", params)
        for number, *row in cursor.fetchall():
            found.setdefault(keys[number], []).append(tuple(row))
    return found

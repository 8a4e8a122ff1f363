"""The evaluation run on PostgreSQL streams its results into one COPY as they are made (issue 13,
`_run_store_copy`): the value model's prospects first, while the ranked are scored. The stored
rows are exactly those of the plain INSERT path, for every model, and the run stays
all-or-nothing when the scoring fails half-way through the COPY (both databases)."""

from datetime import date

import pytest
from django.db import connection

from kehu.customers.models import Customer
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.ranking.scoring import evaluations
from kehu.ranking.services import evaluation_run
from kehu.ranking.services import runs as runs_module

NOW = date(2026, 6, 30)
MODELS = ("pyramid", "value", "key_account")


def _rows(run):
    """Every stored column but the ids, the indicators as the database's text of them, by position."""
    table = EvaluationResult._meta.db_table
    indicators = "CAST(indicators AS text)" if connection.vendor == "postgresql" else "indicators"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, position, rank, score, class, sales, profit, {indicators} "
            f"FROM {table} WHERE run_id = %s ORDER BY position",
            [run.pk],
        )
        return cursor.fetchall()


def test_the_copy_path_is_postgresql_s(db):
    assert runs_module._copy_available() == (connection.vendor == "postgresql")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the streamed COPY runs on PostgreSQL")
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("as_of", [NOW, date(2026, 6, 15), date(2025, 12, 31)])
def test_the_streamed_run_stores_what_the_insert_path_stores(example, monkeypatch, model, as_of):
    streamed = evaluation_run(actor=None, model=model, as_of=as_of)
    monkeypatch.setattr(runs_module, "_copy_available", lambda: False)  # multi-row INSERTs of the listed rows
    inserted = evaluation_run(actor=None, model=model, as_of=as_of)
    got, want = _rows(streamed), _rows(inserted)
    assert got and got == want
    assert streamed.result_count == inserted.result_count == len(got)
    assert EvaluationRun.objects.get(pk=streamed.pk).result_count == len(got)
    if model == "value":
        assert any(row[2] is None for row in got) and any(row[2] is not None for row in got)
        # positions 0..n-1, the ranked first, whatever order the rows were sent in
        assert [row[1] for row in got] == list(range(len(got)))
        assert [row[2] for row in got if row[2] is not None] == list(range(1, 1 + sum(row[2] is not None for row in got)))


def test_a_run_that_fails_while_its_results_stream_leaves_nothing(example, monkeypatch):
    evaluation_run(actor=None, model="value", as_of=date(2025, 12, 31))
    before_runs = EvaluationRun.objects.count()
    before_results = EvaluationResult.objects.count()
    classes = dict(Customer.objects.values_list("pk", "value_class"))

    def broken(facts, params=None):
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(runs_module, "value_ranked", broken)  # after the prospects went into the COPY
    monkeypatch.setattr(evaluations, "value_ranked", broken)  # the non-streamed path (SQLite)
    with pytest.raises(RuntimeError, match="scoring failed"):
        evaluation_run(actor=None, model="value", as_of=NOW)
    assert EvaluationRun.objects.count() == before_runs
    assert EvaluationResult.objects.count() == before_results
    assert dict(Customer.objects.values_list("pk", "value_class")) == classes
    # and the next run stores normally on the same connection
    monkeypatch.undo()
    run = evaluation_run(actor=None, model="value", as_of=NOW)
    assert EvaluationResult.objects.filter(run=run).count() == run.result_count > 0

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


# --- kill -9 while the results stream ---------------------------------------------------
_CHILD = """
import sys, time
from datetime import date
import django
django.setup()
from kehu.ranking.scoring import evaluations
from kehu.ranking.services import evaluation_run
from kehu.ranking.services import runs

def stalled(facts, params=None):
    print("SCORING", flush=True)  # PostgreSQL: the prospects' rows are in the open COPY by now
    time.sleep(120)

runs.value_ranked = evaluations.value_ranked = stalled
evaluation_run(actor=None, model="value", as_of=date(2026, 6, 30))
"""


def _child_env(tmp_path):
    """The environment of a subprocess on this test's database (SQLite: a copy of it as a file),
    and a function that opens a DB-API cursor on it from this process."""
    import os
    import sqlite3

    from django.conf import settings

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings")
    if connection.vendor == "sqlite":
        path = tmp_path / "killed.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
        env.pop("DATABASE_URL", None)
        env["KEHU_SQLITE_PATH"] = str(path)
        return env, lambda: sqlite3.connect(path).cursor()
    db = settings.DATABASES["default"]
    env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env, connection.cursor


def _state(cursor):
    out = {}
    for table in (EvaluationRun._meta.db_table, EvaluationResult._meta.db_table):
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        out[table] = cursor.fetchone()[0]
    cursor.execute(f"SELECT id, value_class FROM {Customer._meta.db_table} ORDER BY id")
    out["classes"] = cursor.fetchall()
    return out


@pytest.mark.django_db(transaction=True)
def test_kill_9_while_the_results_stream_leaves_the_database_as_it_was(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from conftest import seed_flushed_defaults
    from kehu.dataset.services import dataset_import
    from kehu.dataset.tests.conftest import EXAMPLE

    seed_flushed_defaults()  # an earlier transactional test may have flushed the opportunity stages
    assert dataset_import(actor=None, path=EXAMPLE).errors == []
    evaluation_run(actor=None, model="value", as_of=date(2025, 12, 31))  # classes to keep
    env, cursor = _child_env(tmp_path)
    before = _state(cursor())
    root = Path(__file__).resolve().parents[3]
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD], env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "SCORING", line + child.stderr.read()
        time.sleep(1)  # the writer thread has sent the prospects' rows
        if connection.vendor == "postgresql":  # the child is inside its COPY
            check = cursor()
            check.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE %s",
                [f"COPY %{EvaluationResult._meta.db_table}%"],
            )
            assert check.fetchone()[0] == 1
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while _state(cursor()) != before and time.monotonic() < deadline:  # the server notices the dead client
        time.sleep(0.2)
    assert _state(cursor()) == before
    # nothing is left locked: a run goes through afterwards
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.replace("runs.value_ranked = evaluations.value_ranked = stalled", "")],
        env=env, cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    after = _state(cursor())
    assert after[EvaluationRun._meta.db_table] == before[EvaluationRun._meta.db_table] + 1
    assert after[EvaluationResult._meta.db_table] > before[EvaluationResult._meta.db_table]

"""A worker killed mid-import (SIGKILL, no clean-up of any kind) leaves nothing half-written, the
next worker's start marks the job failed with the reason, and "Run again" imports every row —
on SQLite and on PostgreSQL (issue 15, bgjobs).

A real `kehu worker` process runs the import of ROWS customers against the test database (on
SQLite a file copy of it: the in-memory test database cannot be shared with another process);
the test waits until the import's write phase has written some batches inside its transaction,
kills the worker, and reads the tables."""

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from kehu.core.jobs import job_start
from kehu.dataset.uploads import upload_save

ROWS = 12_000
KEHU = str(Path(sys.executable).parent / "kehu")
ROOT = Path(__file__).resolve().parents[3]
HEADER = "code,name,kind,owner,stage,lead_source,referrer,province,city,industry,phone,uscc,influence,reputation,credit_limit,fund_status,payment_attitude,created_at"


class Target:
    """The database the worker processes use, and how the test reads it."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.env = {**os.environ, "KEHU_VAR_DIR": str(tmp_path / "var"), "KEHU_IMPORT_DIR": str(tmp_path / "uploads"),
                    "KEHU_TASKS_BACKEND": "database", "PYTHONPATH": str(ROOT)}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            self.path = tmp_path / "kehu.sqlite3"
            target = sqlite3.connect(self.path)
            connection.ensure_connection()
            connection.connection.backup(target)
            target.close()
            self.env["KEHU_SQLITE_PATH"] = str(self.path)
            self.env.pop("DATABASE_URL", None)
        else:
            self.env["DATABASE_URL"] = (
                f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
            )

    def query(self, sql: str, params=()) -> list[tuple]:
        if connection.vendor == "sqlite":
            with sqlite3.connect(self.path) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def progress(self, job_id: int) -> tuple[int, int, str]:
        """(done, total, step msgid) as the job's page would read it."""
        if connection.vendor == "sqlite":
            path = self.tmp / "var" / "jobs" / "progress" / f"{job_id}.json"
            try:
                doc = json.loads(path.read_text())
            except (OSError, ValueError):
                return 0, 0, ""
            return doc["done"], doc["total"], doc["step"].get("msgid", "")
        done, total, step = self.query("SELECT done, total, step FROM core_job WHERE id = %s", [job_id])[0]
        step = json.loads(step) if isinstance(step, str) else step
        return done, total, (step or {}).get("msgid", "")

    def run(self, *args, timeout=300) -> subprocess.CompletedProcess:
        return subprocess.run([KEHU, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def start(self, *args) -> subprocess.Popen:
        return subprocess.Popen([KEHU, *args], env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _csv(owner: str) -> SimpleUploadedFile:
    out = io.StringIO()
    out.write(HEADER + "\n")
    for i in range(ROWS):
        out.write(f"KILL{i:06d},被中断的客户{i},company,{owner},prospect,,,,,,,,,,,,,\n")
    return SimpleUploadedFile("customers.csv", out.getvalue().encode("utf-8"))


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_nothing_and_the_job_runs_again(admin, rep_a, tmp_path, settings):
    settings.KEHU_IMPORT_DIR = str(tmp_path / "uploads")
    token = upload_save([("customers.csv", _csv(rep_a.username))])
    job = job_start(user=admin, kind="import", params={"token": token, "names": ["customers.csv"], "skip_bad": False})
    db = Target(tmp_path)  # after the job and its task row are committed (autocommit)
    assert db.query("SELECT state FROM core_job WHERE id = %s", [job.pk]) == [("queued",)]

    # --no-reload: one process (with DEBUG the worker otherwise runs as the reloader's child)
    worker = db.start("worker", "--no-reload", "--no-startup-delay", "--interval", "0.1")
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done, total, step = db.progress(job.pk)
            if step.startswith("Writing") and 0 < done < total:
                break
            assert worker.poll() is None, worker.communicate()
            time.sleep(0.02)
        else:
            pytest.fail("the import never reached its write phase")
        os.kill(worker.pid, signal.SIGKILL)  # mid-write: batches written inside the import's transaction
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == -signal.SIGKILL
    assert 0 < done < total == ROWS

    # Nothing of the import is there: no customer, no import record, no audit event.
    assert db.query("SELECT count(*) FROM customers_customer WHERE code LIKE 'KILL%%'") == [(0,)]
    assert db.query("SELECT count(*) FROM dataset_datasetimport") == [(0,)]
    assert db.query("SELECT count(*) FROM core_auditevent WHERE verb = 'import'") == [(0,)]
    if connection.vendor == "sqlite":
        assert db.query("PRAGMA integrity_check") == [("ok",)]
    assert db.query("SELECT state FROM core_job WHERE id = %s", [job.pk]) == [("running",)]

    # The next worker's start finds the job stranded and fails it with the reason.
    started = db.run("worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert started.returncode == 0, started.stderr
    assert "jobs: 1" in started.stdout
    state, error = db.query("SELECT state, error FROM core_job WHERE id = %s", [job.pk])[0]
    error = json.loads(error) if isinstance(error, str) else error
    assert state == "failed" and error["msgid"].startswith("The worker stopped while this job was running")
    task_id = db.query("SELECT task_id FROM core_job WHERE id = %s", [job.pk])[0][0]
    assert db.query("SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s",
                    [task_id.replace("-", "") if connection.vendor == "sqlite" else task_id]) == [("FAILED",)]

    # "Run again" (the page's button) starts it anew; the worker imports every row, once.
    again = db.run("shell", "-c", (
        "from kehu.core.jobs import job_again; from kehu.core.models import Job; "
        f"job = Job.objects.get(pk={job.pk}); print(job_again(user=job.user, job=job).pk)"
    ))
    assert again.returncode == 0, again.stderr
    second = int(again.stdout.split()[-1])
    finished = db.run("worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert finished.returncode == 0, finished.stderr
    assert db.query("SELECT state FROM core_job WHERE id = %s", [second]) == [("done",)]
    assert db.query("SELECT count(*) FROM customers_customer WHERE code LIKE 'KILL%%'") == [(ROWS,)]
    assert db.query("SELECT count(*) FROM dataset_datasetimport") == [(1,)]

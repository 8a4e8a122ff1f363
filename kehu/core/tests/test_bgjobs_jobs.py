"""Background jobs (kehu.core.jobs, issue 15): the job record and its progress, the pages and who
sees them, "Import now" / evaluation runs / large exports as jobs, stranded jobs at worker start,
the clean-up of `kehu daily`, `kehu daily --enqueue`. On SQLite and PostgreSQL."""

import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from kehu.core import jobs
from kehu.core.jobs import (
    JobKind,
    JobProgress,
    job_kind_register,
    job_progress,
    job_run,
    job_start,
    jobs_clean,
    jobs_stranded_fail,
    msg,
)
from kehu.core.models import Job
from kehu.customers.models import Customer

CUSTOMER_HEADER = [
    "code", "name", "kind", "owner", "stage", "lead_source", "referrer", "province", "city", "industry", "phone",
    "uscc", "influence", "reputation", "credit_limit", "fund_status", "payment_attitude", "created_at",
]


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.KEHU_IMPORT_DIR = str(tmp_path / "uploads")


def _customers_csv(rows: list[tuple[str, str, str]]) -> SimpleUploadedFile:
    """customers.csv with (code, name, owner) rows; an owner that does not exist makes a bad row."""
    out = io.StringIO()
    out.write(",".join(CUSTOMER_HEADER) + "\n")
    for code, name, owner in rows:
        cells = {"code": code, "name": name, "kind": "company", "owner": owner, "stage": "prospect"}
        out.write(",".join(cells.get(c, "") for c in CUSTOMER_HEADER) + "\n")
    return SimpleUploadedFile("customers.csv", out.getvalue().encode("utf-8"))


def _run_queued():
    for pk in Job.objects.filter(state=Job.State.QUEUED).order_by("pk").values_list("pk", flat=True):
        job_run(pk)


def _upload_and_confirm(client, rows, **extra):
    token = client.post(reverse("dataset:import"), {"files": [_customers_csv(rows)]}).context["token"]
    response = client.post(reverse("dataset:import-confirm"), {"token": token, **extra})
    return token, response


# --------------------------------------------------------------------------- the import as a job


def test_import_now_is_a_job_with_progress_and_the_result_on_its_page(cast, login_en, settings):
    client = login_en(cast["manager_a"])
    rows = [(f"J{i:03d}", f"任务客户{i}", cast["rep_a"].username) for i in range(30)]
    token, response = _upload_and_confirm(client, rows)
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert (job.user, job.kind, job.state, job.params["token"]) == (cast["manager_a"], "import", "queued", token)
    assert not Customer.objects.filter(code__startswith="J").exists()  # nothing until the worker runs it
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Waiting for the worker" in page  # polls while queued
    seen = []
    real = JobProgress._write

    def spy(self):
        seen.append((self.done, self.total, self.step["params"].get("file"), self.step["msgid"][:8]))
        real(self)

    JobProgress._write = spy
    try:
        assert job_run(job.pk) == Job.State.DONE
    finally:
        JobProgress._write = real
    assert Customer.objects.filter(code__startswith="J").count() == 30
    # each step's start and end at least: checking then writing customers.csv, 30 rows
    assert seen[0] == (0, 30, "customers.csv", "Checking") and (30, 30, "customers.csv", "Checking") in seen
    assert (0, 30, "customers.csv", "Writing ") in seen and seen[-1] == (30, 30, "customers.csv", "Writing ")
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.error) == ("done", 30, 30, {})
    assert job.host and job.pid == os.getpid() and job.started_at and job.finished_at
    page = client.get(response.url).content.decode()
    assert "Imported: 30 records created, 0 updated, 0 bad rows skipped." in page
    assert "every 1s" not in page  # polling stops once it is done
    assert client.get(response.url, HTTP_HX_REQUEST="true").content.decode().lstrip().startswith("<div id=\"job-status\"")
    assert not (settings.KEHU_IMPORT_DIR and os.path.exists(os.path.join(settings.KEHU_IMPORT_DIR, token)))


def test_an_import_with_bad_rows_fails_with_them_listed_and_writes_nothing(cast, login_en):
    client = login_en(cast["manager_a"])
    _token, response = _upload_and_confirm(client, [("K1", "好客户", cast["rep_a"].username), ("K2", "坏客户", "nobody_here")])
    _run_queued()
    job = Job.objects.get()
    assert job.state == "failed" and job.error["params"] == {"count": 1} and job.error["issue_count"] == 1
    assert [i[:2] for i in job.error["issues"]] == [["customers.csv", 3]]
    assert not Customer.objects.filter(code__in=["K1", "K2"]).exists()
    page = client.get(response.url).content.decode()
    assert "Nothing was imported: the files have 1 bad rows." in page and 'data-testid="job-issues"' in page
    assert 'data-testid="job-again"' not in page  # the upload is gone: fix the file and upload again


def test_skipping_bad_rows_imports_the_good_ones_and_lists_the_bad(cast, login_en):
    client = login_en(cast["manager_a"])
    _upload_and_confirm(client, [("K1", "好客户", cast["rep_a"].username), ("K2", "坏客户", "nobody_here")], skip_bad="1")
    _run_queued()
    job = Job.objects.get()
    assert job.state == "done" and job.result["issue_count"] == 1
    assert job.result["message"]["params"] == {"created": 1, "updated": 0, "bad": 1}
    assert list(Customer.objects.filter(code__in=["K1", "K2"]).values_list("code", flat=True)) == ["K1"]


def test_the_job_page_is_translated(cast, login):
    client = login(cast["manager_a"])  # Chinese, the default
    _upload_and_confirm(client, [("Z1", "中文客户", cast["rep_a"].username)])
    _run_queued()
    page = client.get(reverse("jobs:detail", args=[Job.objects.get().pk])).content.decode()
    assert "已导入：新建 1 条记录" in page or "导入" in page
    assert "Imported:" not in page and "完成" in page


# --------------------------------------------------------------------------- who sees what


def _job(user, kind="import", state=Job.State.DONE, **fields):
    return Job.objects.create(user=user, kind=kind, state=state, **fields)


def test_a_user_sees_only_their_own_jobs_and_an_admin_every_job(cast, login_en, client):
    mine = _job(cast["rep_a"], result={"message": msg("Exported %(rows)d rows.", rows=3)})
    theirs = _job(cast["rep_b"])
    managers = _job(cast["manager_a"])
    for who, visible in [("rep_a", {mine}), ("rep_b", {theirs}), ("manager_a", {managers}), ("director", set()),
                         ("finance", set()), ("admin", {mine, theirs, managers})]:
        client.logout()
        c = login_en(cast[who])
        html = c.get(reverse("jobs:list")).content.decode()
        for job in (mine, theirs, managers):
            shown = f'data-testid="job-{job.pk}"' in html
            assert shown == (job in visible), (who, job.pk)
            assert c.get(reverse("jobs:detail", args=[job.pk])).status_code == (200 if job in visible else 404)
    assert "Exported 3 rows." in login_en(cast["rep_a"]).get(reverse("jobs:detail", args=[mine.pk])).content.decode()


def test_a_jobs_file_is_downloaded_only_by_its_starter(cast, login_en, client):
    job = _job(cast["rep_a"], kind="export", result={"file": "kehu.zip", "filename": "kehu-1.zip"})
    (jobs.job_folder(job.pk) / "kehu.zip").write_bytes(b"PK-data")
    url = reverse("jobs:download", args=[job.pk])
    response = login_en(cast["rep_a"]).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"PK-data"
    assert 'filename="kehu-1.zip"' in response["Content-Disposition"]
    for who in ("admin", "rep_b", "manager_a"):  # the admin sees the job, not the rep's file
        client.logout()
        assert login_en(cast[who]).get(url).status_code == 404
    assert oct(jobs.job_folder(job.pk).stat().st_mode & 0o777) == "0o700"


def test_the_job_list_runs_a_fixed_number_of_queries(cast, login_en, django_assert_max_num_queries):
    for user in (cast["rep_a"], cast["rep_b"], cast["manager_a"]):
        for state in Job.State.values:
            _job(user, state=state)
    client = login_en(cast["admin"])
    with django_assert_max_num_queries(15):
        html = client.get(reverse("jobs:list")).content.decode()
    assert html.count('data-testid="job-') == 12 + 1  # 12 rows and the table


def test_anonymous_is_sent_to_log_in(client, cast):
    job = _job(cast["rep_a"])
    for url in (reverse("jobs:list"), reverse("jobs:detail", args=[job.pk]), reverse("jobs:download", args=[job.pk])):
        assert client.get(url).status_code == 302


# --------------------------------------------------------------------------- progress writes


@pytest.mark.django_db(transaction=True)
def test_progress_outside_a_transaction_goes_to_the_row(rep_a):
    job = _job(rep_a, state=Job.State.RUNNING)
    progress = JobProgress(job)
    progress(5, 10, "Writing %(file)s", file="customers.csv")
    job.refresh_from_db()
    assert (job.done, job.total, job.step) == (5, 10, {"msgid": "Writing %(file)s", "params": {"file": "customers.csv"}})
    assert job_progress(job) == {"done": 5, "count": 10, "step": "正在写入 customers.csv", "percent": 50}
    progress(6, 10)  # within the interval: not written
    job.refresh_from_db()
    assert job.done == 5
    progress(10, 10)  # the end of a step always is
    job.refresh_from_db()
    assert job.done == 10


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite: the progress file")
def test_progress_inside_the_works_transaction_on_sqlite_goes_to_a_file(cast):
    job = _job(cast["rep_a"], state=Job.State.RUNNING)
    progress = JobProgress(job)
    with transaction.atomic():
        progress(3, 4, "Checking %(file)s", file="x.csv")
        path = jobs._progress_path(job.pk)
        assert json.loads(path.read_text())["done"] == 3
        job.refresh_from_db()
        assert job.done == 0  # the row is not touched inside the work's transaction
        assert job_progress(job)["done"] == 3 and job_progress(job)["percent"] == 75
    progress.close()
    assert not path.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: the second connection")
@pytest.mark.django_db(transaction=True)
def test_progress_inside_the_works_transaction_on_postgresql_is_committed_at_once(rep_a):
    job = _job(rep_a, state=Job.State.RUNNING)
    progress = JobProgress(job)
    reader = connections.create_connection("default")
    try:
        with transaction.atomic():
            Customer.objects.create(code="TX1", name="未提交", owner=rep_a)
            progress(7, 9, "Writing %(file)s", file="customers.csv")
            with reader.cursor() as cursor:  # another session (the web page) sees the progress already…
                cursor.execute("SELECT done, total FROM core_job WHERE id = %s", [job.pk])
                assert cursor.fetchone() == (7, 9)
                cursor.execute("SELECT count(*) FROM customers_customer WHERE code = 'TX1'")
                assert cursor.fetchone() == (0,)  # … and not the work, uncommitted
            transaction.set_rollback(True)
    finally:
        reader.close()
        progress.close()
    job.refresh_from_db()
    assert job.done == 7 and not Customer.objects.filter(code="TX1").exists()


# --------------------------------------------------------------------------- failures, stranded, again


def test_a_failing_kind_records_why_and_an_unknown_kind_too(cast):
    def boom(job, progress):
        raise ZeroDivisionError

    def refused(job, progress):
        raise jobs.JobFailed("The evaluation run no longer exists.")

    job_kind_register(JobKind("test_boom", "boom", boom))
    job_kind_register(JobKind("test_refused", "refused", refused))
    try:
        a, b = job_start(user=cast["rep_a"], kind="test_boom", params={}), job_start(user=cast["rep_a"], kind="test_refused", params={})
        c = _job(cast["rep_a"], kind="gone_kind", state=Job.State.QUEUED)
        for job in (a, b, c):
            assert job_run(job.pk) == Job.State.FAILED
            job.refresh_from_db()
        assert a.error == msg("The job stopped on an unexpected error (%(error)s).", error="ZeroDivisionError")
        assert b.error == msg("The evaluation run no longer exists.")
        assert c.error["msgid"].startswith("This kind of job is not known")
        assert job_run(a.pk) == ""  # a job runs once
    finally:
        jobs.JOB_KINDS.unregister("test_boom")
        jobs.JOB_KINDS.unregister("test_refused")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stranded_jobs_are_failed_at_worker_start_and_live_ones_left(cast, settings):
    now = timezone.now()
    dead = _job(cast["rep_a"], state=Job.State.RUNNING, host=jobs.HOST, pid=_dead_pid(), heartbeat_at=now)
    live = _job(cast["rep_a"], state=Job.State.RUNNING, host=jobs.HOST, pid=os.getppid(), heartbeat_at=now - timedelta(days=1))
    far_quiet = _job(cast["rep_a"], state=Job.State.RUNNING, host="other-host", pid=1, heartbeat_at=now - timedelta(minutes=61))
    far_busy = _job(cast["rep_a"], state=Job.State.RUNNING, host="other-host", pid=1, heartbeat_at=now - timedelta(minutes=59))
    queued = _job(cast["rep_a"], state=Job.State.QUEUED)
    assert jobs_stranded_fail(now=now) == 2
    states = {j.pk: j.state for j in Job.objects.all()}
    assert states == {dead.pk: "failed", live.pk: "running", far_quiet.pk: "failed", far_busy.pk: "running", queued.pk: "queued"}
    dead.refresh_from_db()
    assert dead.error == msg(jobs.STRANDED_REASON) and dead.finished_at == now
    assert jobs_stranded_fail(now=now) == 0  # once


@pytest.fixture
def keep_signals():
    import signal

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def run_worker(out=None):
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=out or io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_stranded_check_first_and_then_the_queue(cast, settings, keep_signals):
    from django_tasks_db.models import DBTaskResult

    dead = _job(cast["rep_a"], state=Job.State.RUNNING, host=jobs.HOST, pid=_dead_pid())
    queued = job_start(user=cast["rep_a"], kind="export", params={"format": "csv"})  # enqueued at once (autocommit)
    queued.refresh_from_db()
    assert DBTaskResult.objects.filter(pk=queued.task_id, status="READY").exists()
    out = io.StringIO()
    run_worker(out)
    assert "jobs: 1" in out.getvalue()
    dead.refresh_from_db()
    queued.refresh_from_db()
    assert dead.state == "failed" and queued.state == "done" and queued.result["file"].endswith(".zip")
    assert DBTaskResult.objects.get(pk=queued.task_id).status == "SUCCESSFUL"


def test_run_again_starts_a_stranded_import_anew_while_its_upload_is_there(cast, login_en):
    client = login_en(cast["manager_a"])
    _token, response = _upload_and_confirm(client, [("R1", "再来客户", cast["rep_a"].username)])
    first = Job.objects.get()
    Job.objects.filter(pk=first.pk).update(state=Job.State.RUNNING, host=jobs.HOST, pid=_dead_pid())
    jobs_stranded_fail(now=timezone.now())
    page = client.get(response.url).content.decode()
    assert "The worker stopped while this job was running" in page and 'data-testid="job-again"' in page
    response = client.post(reverse("jobs:again", args=[first.pk]))
    second = Job.objects.exclude(pk=first.pk).get()
    assert response.url == reverse("jobs:detail", args=[second.pk]) and second.params == first.params
    _run_queued()
    second.refresh_from_db()
    assert second.state == "done" and Customer.objects.filter(code="R1").count() == 1
    # the upload is gone now: no second "again"
    Job.objects.filter(pk=second.pk).update(state=Job.State.FAILED)
    assert client.post(reverse("jobs:again", args=[second.pk])).url == reverse("jobs:detail", args=[second.pk])
    assert Job.objects.count() == 2


def test_only_the_starter_may_run_a_job_again(cast, login_en):
    job = _job(cast["rep_a"], kind="export", state=Job.State.FAILED, params={"format": "csv"})
    assert login_en(cast["admin"]).post(reverse("jobs:again", args=[job.pk])).status_code == 404
    assert Job.objects.count() == 1


# --------------------------------------------------------------------------- exports, evaluation


def test_a_large_export_is_a_job_and_a_small_one_a_download(cast, login_en, monkeypatch):
    from kehu.dataset import jobs as dataset_jobs

    client = login_en(cast["rep_a"])
    response = client.get(reverse("dataset:export"), {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment") and not Job.objects.exists()
    monkeypatch.setattr(dataset_jobs, "EXPORT_SYNC_MAX_CUSTOMERS", 0)
    response = client.get(reverse("dataset:export"), {"format": "xlsx"})
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.params == {"format": "xlsx"}
    _run_queued()
    job.refresh_from_db()
    assert job.state == "done" and job.done == job.total == 14
    download = client.get(reverse("jobs:download", args=[job.pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    codes = [r[0] for r in list(book["customers"].iter_rows(values_only=True))[1:]]
    assert sorted(codes) == sorted(Customer.objects.visible_to(cast["rep_a"]).values_list("code", flat=True))
    assert cast["customer_b"].code not in codes  # the starter's scope, as the direct download
    assert oct((jobs.job_folder(job.pk) / job.result["file"]).stat().st_mode & 0o777) == "0o600"


def test_an_evaluation_run_job_reports_its_phases(cast):
    from kehu.ranking.models import EvaluationRun

    job = job_start(user=cast["director"], kind="evaluation", params={"model": "pyramid", "as_of": timezone.localdate().isoformat(), "window_months": 12})
    steps = []
    real = JobProgress._write

    def spy(self):
        steps.append((self.done, self.total, self.step["msgid"]))
        real(self)

    JobProgress._write = spy
    try:
        assert job_run(job.pk) == "done"
    finally:
        JobProgress._write = real
    run = EvaluationRun.objects.get()
    assert [s[:2] for s in steps] == [(0, 4), (1, 4), (2, 4), (3, 4)]
    assert steps[0][2] == "Reading the orders and payments"
    job.refresh_from_db()
    assert job.result["url"] == reverse("ranking:run-detail", args=[run.pk]) and run.started_by == cast["director"]


# --------------------------------------------------------------------------- kehu daily


def test_daily_deletes_old_finished_jobs_and_their_files(cast, settings):
    now = timezone.now()
    old = _job(cast["rep_a"], finished_at=now - timedelta(days=8))
    recent = _job(cast["rep_a"], finished_at=now - timedelta(days=6))
    running = _job(cast["rep_a"], state=Job.State.RUNNING, finished_at=None)
    (jobs.job_folder(old.pk) / "f.zip").write_bytes(b"x")
    (jobs.job_folder(recent.pk) / "f.zip").write_bytes(b"x")
    assert jobs_clean(now=now) == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    assert not (jobs.jobs_root() / str(old.pk)).exists() and (jobs.jobs_root() / str(recent.pk) / "f.zip").exists()


@pytest.mark.django_db(transaction=True)
def test_daily_enqueue_hands_the_steps_to_the_worker_in_order(cast, keep_signals):
    from django_tasks_db.models import DBTaskResult

    from kehu.core.hooks import daily_steps

    out = io.StringIO()
    call_command("daily", "--enqueue", "--json", "--now", "2026-06-30", stdout=out)
    doc = json.loads(out.getvalue())
    keys = [s.key for s in daily_steps()]
    assert doc["enqueued"] == keys and "jobs" in keys
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"][0] == keys
    run_worker()
    done = DBTaskResult.objects.order_by("enqueued_at")
    assert done.count() == len(keys) and {t.status for t in done} == {"SUCCESSFUL"}
    assert [list(t.return_value) for t in done] == [[k] for k in keys]  # one task per step, in order


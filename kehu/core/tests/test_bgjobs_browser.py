"""Background jobs in a real browser (issue 15, bgjobs): a manager uploads 3,000 customers, presses
"Import now", and watches the job's page show the progress and then the result; the director
starts an evaluation run and follows it to the run. Screenshots in test-results/.

The worker is a thread of the test that runs the queued jobs as `kehu worker` does
(`job_run`; the worker process itself is exercised in test_bgjobs_kill.py), with each progress
write held a moment so that the page's one-second polling sees the job running.

Uses the Debian Chromium fixture of kehu/customers/tests/test_browser.py.
"""

import threading
import time

import pytest
from django.db import connection, connections

from conftest import seed_flushed_defaults
from kehu.core import jobs
from kehu.core.models import Job
from kehu.customers.models import Customer
from kehu.customers.tests.test_browser import SHOTS, _login, browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.browser
ROWS = 3000
HEADER = "code,name,kind,owner,stage,lead_source,referrer,province,city,industry,phone,uscc,influence,reputation,credit_limit,fund_status,payment_attitude,created_at"


class Worker(threading.Thread):
    """Runs queued jobs until stopped, like `kehu worker` (its task body, `job_run`)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.is_set():
                for pk in Job.objects.filter(state=Job.State.QUEUED).order_by("pk").values_list("pk", flat=True):
                    jobs.job_run(pk)
                time.sleep(0.1)
        finally:
            connections.close_all()


@pytest.fixture
def worker(monkeypatch):
    real = jobs.JobProgress._write

    def held(self):
        real(self)
        # a moment per batch (rows) or per phase (the run's four): the page polls once a second
        time.sleep(0.25 if self.total > 10 else 1.5)

    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL", 0)
    monkeypatch.setattr(jobs.JobProgress, "_write", held)
    thread = Worker()
    thread.start()
    yield thread
    thread.stopped.set()
    thread.join(timeout=60)


@pytest.mark.django_db(transaction=True)
def test_an_import_and_an_evaluation_run_show_progress_and_the_result(browser, live_server, cast, worker, tmp_path, settings):  # noqa: F811
    from playwright.sync_api import expect

    seed_flushed_defaults()
    settings.VAR_DIR = tmp_path / "var"
    settings.KEHU_IMPORT_DIR = str(tmp_path / "uploads")
    for user in (cast["manager_a"], cast["director"]):
        user.language = "en"
        user.save(update_fields=["language"])
    upload = tmp_path / "customers.csv"
    upload.write_text(HEADER + "\n" + "".join(
        f"BR{i:05d},浏览器导入客户{i},company,{cast['rep_a'].username},prospect,,,,,,,,,,,,,\n" for i in range(ROWS)
    ), encoding="utf-8")
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    # The import: upload, preview, "Import now" → the job's page, progress, then the counts.
    _login(page, base, "manager_a")
    page.wait_for_url("**/workbench/")
    page.goto(f"{base}/dataset/import/")
    page.set_input_files("input[type=file]", str(upload))
    page.click("[data-testid=import-upload] button[type=submit]")
    expect(page.get_by_test_id("import-counts")).to_contain_text(str(ROWS))
    page.click("[data-testid=import-confirm] button.btn-primary")
    page.wait_for_url("**/jobs/*/")
    if connection.vendor == "postgresql":
        # A step's rows, counted as they go. Not on the suite's SQLite: the test database lives in
        # memory with a shared cache, where a writer's schema change inside its transaction (the
        # import's bulk path drops and makes again the search and lead-source row triggers; the
        # run's store does likewise) locks every other connection out until the commit, so the
        # page cannot even read its session meanwhile and the poll answers 500 until the job is
        # done. A real SQLite file in WAL mode keeps serving the last snapshot (checked by hand
        # at 100,000 rows, docs/performance.md "Background jobs"). On SQLite the test checks the
        # outcome only.
        progress = page.get_by_test_id("job-progress")
        expect(progress).to_contain_text(f"of {ROWS}", timeout=60_000)
        expect(page.get_by_test_id("job-step")).to_contain_text("customers.csv")
        page.screenshot(path=str(SHOTS / "bgjobs-import-progress.png"), full_page=True)
    expect(page.get_by_test_id("job-status")).to_have_attribute("data-state", "done", timeout=120_000)
    expect(page.get_by_test_id("job-result")).to_contain_text(f"Imported: {ROWS} records created, 0 updated, 0 bad rows skipped.")
    page.screenshot(path=str(SHOTS / "bgjobs-import-done.png"), full_page=True)
    assert Customer.objects.filter(code__startswith="BR").count() == ROWS
    page.goto(f"{base}/jobs/")
    expect(page.get_by_test_id("job-list")).to_contain_text("Import")

    # The evaluation run: the form → the job's page → its phases → "Open the run".
    page.context.clear_cookies()
    _login(page, base, "director")
    page.wait_for_url("**/workbench/")
    page.goto(f"{base}/ranking/runs/new/?model=pyramid")
    page.click("#run-submit")
    page.wait_for_url("**/jobs/*/")
    if connection.vendor == "postgresql":  # see the import's progress above: not on the in-memory SQLite
        expect(page.get_by_test_id("job-progress")).to_contain_text("of 4", timeout=60_000)
        page.screenshot(path=str(SHOTS / "bgjobs-evaluation-progress.png"), full_page=True)
    expect(page.get_by_test_id("job-status")).to_have_attribute("data-state", "done", timeout=120_000)
    expect(page.get_by_test_id("job-result")).to_contain_text("Evaluation run #")
    page.screenshot(path=str(SHOTS / "bgjobs-evaluation-done.png"), full_page=True)
    page.get_by_test_id("job-result-link").click()
    page.wait_for_url("**/ranking/runs/*/")
    assert Job.objects.filter(state=Job.State.DONE).count() == 2

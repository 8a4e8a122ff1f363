"""Background jobs: long work (an import, an evaluation run, a large export) started from a page,
run by the worker (`kehu worker`, kehu.core.tasks.run_job), followed on the job's page.

A `Job` row says who started it, what it is (`kind`, registered by the app that owns the work
in `JOB_KINDS`), its state (queued → running → done | failed), how far it got (done/total of
the current step, with a translated step label), and what came of it: a result (a translated
message, a link, a file to download, a list of issues) or why it failed.

The work and its progress are written apart. The work is the kind's own (an import is one
all-or-nothing transaction); progress is written at batch boundaries, never inside that
transaction:
- outside a transaction: the job row itself, in its own short autocommit UPDATE;
- inside the work's transaction on PostgreSQL: the job row through a second connection of the
  worker (committed at once, so the page sees it while the work's transaction is still open);
- inside the work's transaction on SQLite: a small file beside the job's files
  (KEHU_VAR_DIR/jobs/progress/<id>.json, replaced atomically). SQLite has one writer and the
  work holds it (transaction_mode IMMEDIATE) until it commits, so a second connection could
  only wait; the page reads the file while the job runs. SQLite is one machine, so the web
  server sees the worker's file.

A worker killed mid-job leaves the work's transaction uncommitted (nothing half-written) and
the job "running". The next worker to start (WORKER_START, `jobs_stranded_fail`) marks such a
job failed with the reason — the worker stopped — when its process is gone (same host) or it
has given no sign of progress for KEHU_JOB_STALE_MINUTES (another host). It is not enqueued
again by itself: a job that killed its worker (memory) would kill the next one too. Its page
offers "Run again", which starts the same work anew.

Visibility (docs/rules.md, "Background jobs"): a user sees only the jobs they started; an
administrator sees every job. A job's file is downloaded only by the user who started it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.hooks import Hook
from kehu.core.models import Job

logger = logging.getLogger(__name__)

HOST = socket.gethostname()[:255]
# How often progress is written at most (seconds); a step's start and end are always written.
PROGRESS_INTERVAL = 0.5
STRANDED_REASON = gettext_noop(
    "The worker stopped while this job was running (it was stopped or the machine restarted). "
    "Nothing of its work was saved; run it again."
)


@dataclass(frozen=True)
class JobKind:
    """One kind of background work. `run(job, progress) -> dict` does it and returns the result
    (`message`: a `msg()` document; optional `url`, `file` (a path under the job's folder),
    `filename`, `issues`); it raises `JobFailed` (or an error with a translated `.message`) to
    fail with a reason. `again(job) -> bool` says whether "Run again" can start it anew."""

    key: str
    label: object
    run: Callable
    again: Callable | None = None


JOB_KINDS: Hook[JobKind] = Hook("core.job_kinds")


def job_kind_register(kind: JobKind) -> JobKind:
    return JOB_KINDS.register(kind, key=kind.key)


def msg(msgid: str, **params) -> dict:
    """A message stored untranslated (mark `msgid` with gettext_noop) and translated when shown."""
    return {"msgid": msgid, "params": params}


def msg_text(doc: dict | None) -> str:
    """The text of a `msg()` document in the active language ("" for none)."""
    if not doc:
        return ""
    if "text" in doc:  # already translated when it was stored (an error's own message)
        return str(doc["text"])
    text = _(doc["msgid"]) if doc.get("msgid") else ""
    params = doc.get("params") or {}
    return text % params if params else text


class JobFailed(Exception):
    """Stop the job with a reason shown on its page: JobFailed(gettext_noop("..."), name=value)."""

    def __init__(self, msgid: str, **params):
        super().__init__(msgid)
        self.doc = msg(msgid, **params)


# --- where a job's files live ------------------------------------------------------------

def jobs_root() -> Path:
    root = Path(settings.VAR_DIR) / "jobs"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def job_folder(job_id: int) -> Path:
    """The job's own folder for its result file (made on first use, readable by Kehu only)."""
    folder = jobs_root() / str(int(job_id))
    folder.mkdir(exist_ok=True, mode=0o700)
    return folder


def _progress_path(job_id: int) -> Path:
    folder = jobs_root() / "progress"
    folder.mkdir(exist_ok=True, mode=0o700)
    return folder / f"{int(job_id)}.json"


# --- who sees what ----------------------------------------------------------------------

def jobs_visible(user):
    """The jobs `user` may see: their own; an administrator every job."""
    if not (user and user.is_authenticated and user.is_active):
        return Job.objects.none()
    if user.is_admin_role:
        return Job.objects.all()
    return Job.objects.filter(user=user)


def job_file_readable(user, job: Job) -> bool:
    """A job's file (an export of what its starter may see) is for the user who started it."""
    return bool(user.is_authenticated and user.is_active and job.user_id == user.pk and job.result.get("file"))


# --- starting and running ---------------------------------------------------------------

def job_start(*, user, kind: str, params: dict) -> Job:
    """Record a job and enqueue it for the worker once the caller's transaction commits."""
    if JOB_KINDS.get(kind) is None:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(user=user, kind=kind, params=params, step=msg(gettext_noop("Waiting for the worker")))
    transaction.on_commit(lambda: job_enqueue(job.pk), robust=True)
    return job


def job_enqueue(job_id: int) -> None:
    from kehu.core.tasks import run_job

    try:
        result = run_job.enqueue(job_id)
    except Exception:
        logger.exception("could not enqueue job %s", job_id)
        Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
            state=Job.State.FAILED, finished_at=timezone.now(),
            error=msg(gettext_noop("The job could not be handed to the worker. Try again.")),
        )
        return
    Job.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def job_again(*, user, job: Job) -> Job | None:
    """Start a failed job's work anew (the same kind and parameters) for `user`; None when it
    cannot be (not failed, or its kind says its input is gone)."""
    kind = JOB_KINDS.get(job.kind)
    if job.state != Job.State.FAILED or kind is None or (kind.again is not None and not kind.again(job)):
        return None
    return job_start(user=user, kind=job.kind, params=job.params)


def job_run(job_id: int) -> str:
    """Run a queued job (the worker's task): mark it running, do its kind's work, record the
    result or the reason it failed. Returns the job's final state."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now, host=HOST, pid=os.getpid(),
        step=msg(gettext_noop("Starting")),
    )
    if not claimed:  # gone, or already run by another worker
        return ""
    job = Job.objects.select_related("user").get(pk=job_id)
    kind = JOB_KINDS.get(job.kind)
    progress = JobProgress(job)
    state, result, error = Job.State.FAILED, {}, {}
    try:
        with translation.override(getattr(job.user, "language", None) or settings.LANGUAGE_CODE):
            if kind is None:
                raise JobFailed(gettext_noop("This kind of job is not known to this version of Kehu."))
            result = kind.run(job, progress) or {}
            state = Job.State.DONE
    except JobFailed as exc:
        error = exc.doc
    except PermissionDenied:
        error = msg(gettext_noop("You may no longer do this, so the job did not run."))
    except Exception as exc:
        message = getattr(exc, "message", None)
        if isinstance(message, str) and message:
            error = {"text": message}
        else:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            error = msg(gettext_noop("The job stopped on an unexpected error (%(error)s)."), error=type(exc).__name__)
    finally:
        progress.close()
    fields = {"state": state, "result": result, "error": error, "finished_at": timezone.now(), "step": {}}
    if state == Job.State.DONE:
        fields["done"] = fields["total"] = max(progress.total, progress.done, 1)
    Job.objects.filter(pk=job.pk).update(**fields)
    return state


class JobProgress:
    """The progress callback given to a kind's work: `progress(done, total, msgid, **params)`,
    the step's label marked with gettext_noop. Written at most every PROGRESS_INTERVAL seconds
    (and whenever the step changes or completes), never inside the work's transaction (see the
    module's docstring)."""

    def __init__(self, job: Job):
        self.job_id = job.pk
        self.done = 0
        self.total = 0
        self.step: dict = {}
        self.written_at = 0.0
        self._other = None  # the second connection (PostgreSQL)
        self._file: Path | None = None

    def __call__(self, done: int, total: int, msgid: str = "", **params) -> None:
        step = msg(msgid, **params) if msgid else self.step
        changed = step != self.step
        self.done, self.total, self.step = int(done), int(total), step
        moment = time.monotonic()
        if not changed and done < total and moment - self.written_at < PROGRESS_INTERVAL:
            return
        self.written_at = moment
        self._write()

    def _write(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        now = timezone.now()
        if not connection.in_atomic_block:
            Job.objects.filter(pk=self.job_id).update(done=self.done, total=self.total, step=self.step, heartbeat_at=now)
            self._drop_file()
        elif connection.vendor == "sqlite":
            path = _progress_path(self.job_id)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"done": self.done, "total": self.total, "step": self.step, "at": now.isoformat()}))
            os.replace(tmp, path)
            self._file = path
        else:
            if self._other is None:
                self._other = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._other.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Job._meta.db_table} SET done = %s, total = %s, step = %s::jsonb, heartbeat_at = %s WHERE id = %s",
                    [self.done, self.total, json.dumps(self.step), now, self.job_id],
                )

    def _drop_file(self) -> None:
        if self._file is not None:
            self._file.unlink(missing_ok=True)
            self._file = None

    def close(self) -> None:
        self._drop_file()
        if self._other is not None:
            self._other.close()
            self._other = None


def job_progress(job: Job) -> dict:
    """{"done", "count" (of the step), "step", "percent"} of a job as it stands: a running job's progress
    file (SQLite, inside the work's transaction) when it is newer than the row."""
    done, total, step = job.done, job.total, job.step
    if job.state == Job.State.RUNNING:
        try:
            doc = json.loads(_progress_path(job.pk).read_text())
            done, total, step = doc["done"], doc["total"], doc["step"]
        except (OSError, ValueError, KeyError):
            pass
    elif job.state == Job.State.DONE:
        done = total = max(total, 1)
    percent = int(done * 100 / total) if total else 0
    return {"done": done, "count": total, "step": msg_text(step), "percent": min(percent, 100)}


# --- the worker's start and `kehu daily` -------------------------------------------------

def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def jobs_stranded_fail(*, now) -> int:
    """WORKER_START: mark failed the jobs left running by a worker that is gone — its process
    no longer exists on this host, or (another host) it gave no progress for
    KEHU_JOB_STALE_MINUTES. Their task rows are marked failed too. Returns how many."""
    stale = now - timedelta(minutes=getattr(settings, "KEHU_JOB_STALE_MINUTES", 60))
    stranded = []
    for job in Job.objects.filter(state=Job.State.RUNNING).only("pk", "host", "pid", "heartbeat_at", "task_id"):
        if job.host == HOST:
            gone = job.pid != os.getpid() and not _alive(job.pid)
        else:
            gone = job.heartbeat_at is None or job.heartbeat_at < stale
        if gone:
            stranded.append(job)
    for job in stranded:
        Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
            state=Job.State.FAILED, finished_at=now, error=msg(STRANDED_REASON), step={},
        )
        _progress_path(job.pk).unlink(missing_ok=True)
        if job.task_id:
            _task_row_fail(job.task_id, now)
    return len(stranded)


def _task_row_fail(task_id: str, now) -> None:
    """The queue's row of a task a killed worker held stays RUNNING; mark it failed."""
    try:
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED, finished_at=now, exception_class_path="kehu.core.jobs.WorkerGone",
            traceback="The worker stopped while running this task.",
        )
    except Exception:  # not the database backend, or not a UUID
        logger.debug("no task row %s to mark failed", task_id)


def jobs_clean(*, now) -> int:
    """`kehu daily`: delete the finished jobs older than KEHU_JOB_KEEP_DAYS and their files
    (an export's file is downloadable until then). Returns how many jobs it deleted."""
    cutoff = now - timedelta(days=getattr(settings, "KEHU_JOB_KEEP_DAYS", 7))
    old = list(Job.objects.filter(state__in=[Job.State.DONE, Job.State.FAILED], finished_at__lt=cutoff).values_list("pk", flat=True))
    for pk in old:
        shutil.rmtree(jobs_root() / str(pk), ignore_errors=True)
    if old:
        Job.objects.filter(pk__in=old).delete()
    return len(old)

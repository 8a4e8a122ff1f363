"""The ranking app's background jobs (kehu.core.jobs).

- evaluation: a run started on the "New evaluation run" page (the form and the service's own
  checks answer on the page first; the run itself — facts, scoring, storing, applying the
  current ranking — runs in the worker, one transaction as before). Progress: its 4 phases.
- ranking_export: a run's XLSX (or a comparison's) of more than EXPORT_SYNC_MAX_ROWS visible
  results, written to the job's folder and downloaded from the job's page by its starter.
  Up to that the download stays direct.
"""

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from kehu.core.jobs import JobFailed, JobKind, job_folder, job_kind_register, msg

# A run's (or a comparison's) XLSX of more visible results than this is a background job: a
# 100,000-row workbook takes a minute; 5,000 rows a second or two.
EXPORT_SYNC_MAX_ROWS = 5000

PHASES = {
    "facts": gettext_noop("Reading the orders and payments"),
    "score": gettext_noop("Scoring the customers"),
    "store": gettext_noop("Storing the results"),
    "apply": gettext_noop("Updating the customers' current ranking"),
}


def evaluation_job_run(job, progress) -> dict:
    from kehu.ranking.services import evaluation_run

    p = job.params
    run = evaluation_run(
        actor=job.user, model=p["model"], as_of=date.fromisoformat(p["as_of"]), window_months=p.get("window_months"),
        progress=lambda phase, done, total: progress(done, total, PHASES[phase]),
    )
    return {
        "message": msg(gettext_noop("Evaluation run #%(run)s (%(model)s, as of %(as_of)s) is done."),
                       run=run.pk, model=str(run.get_model_display()), as_of=run.as_of.isoformat()),
        "url": reverse("ranking:run-detail", args=[run.pk]), "link": msg(gettext_noop("Open the run")),
    }


def export_job_run(job, progress) -> dict:
    from kehu.ranking import exports, selectors

    p = job.params
    run = selectors.run_get(p.get("run"))
    if run is None:
        raise JobFailed(gettext_noop("The evaluation run no longer exists."))
    user = job.user
    if p.get("with"):
        before = selectors.run_get(p["with"])
        if before is None or before.model != run.model:
            raise JobFailed(gettext_noop("The evaluation run no longer exists."))
        diff = selectors.compare(before, run, user, limit=None)
        sheets = exports.compare_sheets(before, run, diff)
        total = sum(len(s[2]) for s in sheets)
        filename = f"ranking-compare-{before.pk}-{run.pk}.xlsx"
    else:
        table = selectors.class_table(run, user)
        klass = p.get("class") or None
        rows = selectors.result_rows(run, user, klass=klass)
        total = rows.count()
        sheets = [exports.class_sheet(run, table), exports.results_sheet(run, rows), exports.params_sheet(run)]
        filename = f"ranking-run-{run.pk}.xlsx"
    step = gettext_noop("Writing %(file)s")
    progress(0, total, step, file=filename)
    path = job_folder(job.pk) / filename
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        tmp.chmod(0o600)
        written = exports.workbook_write(out, sheets, progress=lambda done: progress(min(done, total), total, step, file=filename))
    tmp.replace(path)
    return {"message": msg(gettext_noop("Exported %(rows)d rows."), rows=written), "file": filename, "filename": filename}


def register() -> None:
    job_kind_register(JobKind("evaluation", gettext_lazy("Evaluation run"), evaluation_job_run))
    job_kind_register(JobKind("ranking_export", gettext_lazy("Ranking export"), export_job_run))

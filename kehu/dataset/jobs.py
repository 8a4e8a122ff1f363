"""The dataset app's background jobs (kehu.core.jobs): "Import now" and the large exports.

- import: the previewed upload imported by the worker with `dataset_import` — the same
  all-or-nothing transaction and the same report (the bad rows, shown on the job's page).
  Progress: each file's check and write, counted in rows, from the importers' run loop. The
  upload is discarded once the import ended (written, refused for bad rows, or unreadable);
  a job whose worker was killed keeps it, so "Run again" imports the same files (until the
  upload's day runs out).
- export: the whole dataset the user may see as an .xlsx workbook or a zip of CSV files,
  written to the job's folder and downloaded from the job's page by the user who started it.
  An export of at most EXPORT_SYNC_MAX_CUSTOMERS visible customers stays a direct download.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from kehu.core.jobs import JobFailed, JobKind, job_folder, job_kind_register, msg

# An export of more visible customers than this runs as a background job (the page answers at
# once with the job's page); up to it the download starts directly. A director's 2,000
# customers export (every file) in a few seconds; 100,000 take minutes.
EXPORT_SYNC_MAX_CUSTOMERS = 2000
ISSUES_SHOWN = 200  # bad rows listed on a failed import's page


def import_job_run(job, progress) -> dict:
    from kehu.dataset.files import DatasetError
    from kehu.dataset.mapping import Plan, plan_remember
    from kehu.dataset.services import dataset_import
    from kehu.dataset.uploads import upload_dataset, upload_discard, upload_path

    params = job.params
    path = upload_path(params.get("token", ""))
    if path is None:
        raise JobFailed(gettext_noop("The uploaded files are no longer there (uploads are kept for a day); upload them again."))
    phases = {"check": gettext_noop("Checking %(file)s"), "write": gettext_noop("Writing %(file)s")}

    def on_progress(file, phase, done, total):
        progress(done, total, phases.get(phase, phases["check"]), file=file)

    try:
        dataset = upload_dataset(params)  # a firm's own list is read through the preview's mapping (its plan)
        if dataset is None:
            raise JobFailed(gettext_noop("The uploaded files are no longer there (uploads are kept for a day); upload them again."))
        report = dataset_import(actor=job.user, dataset=dataset, skip_bad=bool(params.get("skip_bad")), progress=on_progress)
    except DatasetError:
        upload_discard(params.get("token", ""))
        raise
    upload_discard(params.get("token", ""))
    issues = [[i.file, i.line, i.column, str(i.reason)] for i in report.errors[:ISSUES_SHOWN]]
    counts = {"created": sum(report.created.values()), "updated": sum(report.updated.values()), "bad": report.bad_row_count}
    if report.written:
        if params.get("plan"):  # the mapping that worked is remembered for the next file with these headings
            plan_remember(plan=Plan.from_json(params["plan"]), actor=job.user)
        return {"message": msg(gettext_noop("Imported: %(created)d records created, %(updated)d updated, %(bad)d bad rows skipped."), **counts),
                "issues": issues, "issue_count": report.bad_row_count,
                "notices": [str(n.reason) for n in report.notices[:ISSUES_SHOWN]],
                "url": reverse("customers:list"), "link": msg(gettext_noop("Open the customer list"))}
    if report.errors:
        raise _BadRows(report.bad_row_count, issues)
    return {"message": msg(gettext_noop("Nothing to change: the data is already in Kehu."))}


class _BadRows(JobFailed):
    def __init__(self, count, issues):
        super().__init__(gettext_noop("Nothing was imported: the files have %(count)d bad rows."), count=count)
        self.doc["issues"] = issues
        self.doc["issue_count"] = count


def import_job_again(job) -> bool:
    from kehu.dataset.uploads import upload_path

    return upload_path(job.params.get("token", "")) is not None


def export_job_run(job, progress) -> dict:
    from kehu.dataset.export import EXPORTERS, export_csv_zip, export_xlsx

    fmt = job.params.get("format", "xlsx")
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = f"kehu-{stamp}.xlsx" if fmt == "xlsx" else f"kehu-{stamp}.zip"
    path = job_folder(job.pk) / filename
    total = len(EXPORTERS)

    def on_file(done, name):
        progress(done, total, gettext_noop("Writing %(file)s"), file=name)

    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as target:
        tmp.chmod(0o600)
        counts = (export_xlsx if fmt == "xlsx" else export_csv_zip)(user=job.user, target=target, progress=on_file)
    tmp.replace(path)
    return {"message": msg(gettext_noop("Exported %(rows)d rows in %(files)d files."), rows=sum(counts.values()), files=len(counts)),
            "file": filename, "filename": filename}


def export_is_large(user) -> bool:
    from kehu.customers.models import Customer

    return Customer.objects.visible_to(user).count() > EXPORT_SYNC_MAX_CUSTOMERS


def register() -> None:
    job_kind_register(JobKind("import", gettext_lazy("Import"), import_job_run, again=import_job_again))
    job_kind_register(JobKind("export", gettext_lazy("Export"), export_job_run))


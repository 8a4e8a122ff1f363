"""The import page (upload → preview of every bad row → import now) and the export page."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.accounts import permissions
from kehu.core.jobs import job_start
from kehu.dataset.export import export_csv_zip, export_xlsx
from kehu.dataset.files import DatasetError, open_dataset
from kehu.dataset.forms import ExportForm, ImportUploadForm
from kehu.dataset.jobs import export_is_large
from kehu.dataset.services import dataset_import
from kehu.dataset.mapping import (
    KIND_LABELS, KINDS, NOTES, Plan, note_text, field_choices, foreign_prepare, plan_update, value_choices,
)
from kehu.dataset.templates_download import template_csv, template_xlsx
from kehu.dataset.uploads import FOREIGN_XLSX, WORKBOOK, upload_dataset, upload_discard, upload_foreign, upload_path, upload_save

SESSION_KEY = "dataset_upload"


def _require_import(request) -> None:
    if not permissions.can_import(request.user):
        raise Http404


def _open_upload(token: str, names: list[str]):
    return upload_dataset({"token": token, "names": names})


def _as_foreign(token: str, names: list[str]) -> bool:
    """A single workbook none of whose sheets is a file of the format: read it as a firm's own list."""
    path = upload_path(token)
    if path is None or not path.is_file() or path.name != WORKBOOK:
        return upload_foreign(token) is not None
    if open_dataset(path, shown=names[0] if len(names) == 1 else None).tables:
        return False
    path.rename(path.parent / FOREIGN_XLSX)
    return True


def _preview_foreign(request, *, token: str, names: list[str], kind: str, plan: Plan | None, message: str = ""):
    """Read the firm's file through the plan (the remembered or automatic one when None), check
    it (a dry run) and show the preview with its column and value mapping. Raises DatasetError."""
    prepared = foreign_prepare(upload_foreign(token), kind or None, shown=names[0] if names else None, plan=plan)
    prepared.dataset.label = ", ".join(names)[:255]
    request.session[SESSION_KEY] = {"token": token, "names": names, "plan": prepared.plan.as_json()}
    report = dataset_import(actor=request.user, dataset=prepared.dataset, dry_run=True)
    return render(request, "dataset/import_preview.html", {
        "nav": "import", "report": report, "token": token, "names": names, "rows": _count_rows(report),
        "mapping": _mapping_context(prepared, request.user), "message": message,
    })


def _mapping_context(prepared, actor) -> dict:
    plan = prepared.plan
    choices = field_choices(plan.kind)
    sample = prepared.sample or []
    columns = [
        {"index": i, "heading": heading, "sample": note_text(sample[i] or "") if i < len(sample) else "", "field": column,
         "choices": choices, "notes": column == NOTES}
        for i, (heading, column) in enumerate(zip(plan.headings, plan.columns)) if heading
    ]
    choices_of: dict[str, list] = {}  # one list per field (the owners' is a query), however many words it has
    for w in prepared.words:
        if w.field.name not in choices_of:
            choices_of[w.field.name] = value_choices(w.field, actor)
    words = [
        {"number": n, "field": w.field.name, "label": w.field.label, "word": w.word, "count": w.count,
         "chosen": w.chosen, "choices": choices_of[w.field.name]}
        for n, w in enumerate(prepared.words)
    ]
    return {"kind": plan.kind, "kind_label": KIND_LABELS[plan.kind],
            "remembered": plan.remembered, "columns": columns, "words": words, "skipped": plan.skipped}


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request):
    """GET: the upload form. POST: store the files, check them (a dry run) and show the preview."""
    _require_import(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = form.cleaned_data["files"]
        old = request.session.get(SESSION_KEY, {})
        upload_discard(old.get("token", ""))
        token = upload_save(files)
        names = [getattr(f, "name", n) for n, f in files]
        request.session[SESSION_KEY] = {"token": token, "names": names}
        try:
            if form.cleaned_data.get("kind") or _as_foreign(token, names):
                return _preview_foreign(request, token=token, names=names, kind=form.cleaned_data.get("kind"), plan=None)
            report = dataset_import(actor=request.user, dataset=_open_upload(token, names), dry_run=True)
        except DatasetError as exc:
            upload_discard(token)
            request.session.pop(SESSION_KEY, None)
            form.add_error(None, exc.message)
        else:
            return render(request, "dataset/import_preview.html", {
                "nav": "import", "report": report, "token": token, "names": names, "rows": _count_rows(report),
            })
    return render(request, "dataset/import_upload.html", {"nav": "import", "form": form, "template_kinds": list(KIND_LABELS.items())})


@login_required
@require_POST
def import_confirm_view(request):
    """Run the real import of the previewed upload (optionally skipping the bad rows)."""
    _require_import(request)
    upload = request.session.get(SESSION_KEY) or {}
    token = request.POST.get("token", "")
    if not token or token != upload.get("token"):
        messages.error(request, _("That upload is no longer waiting; upload the files again."))
        return redirect("dataset:import")
    if request.POST.get("action") == "cancel":
        upload_discard(token)
        request.session.pop(SESSION_KEY, None)
        messages.info(request, _("The upload was discarded; nothing was imported."))
        return redirect("dataset:import")
    if upload.get("plan"):  # a firm's own list: a changed mapping is checked again before anything is written
        plan = Plan.from_json(upload["plan"])
        posted = plan_update(plan, request.POST, request.user)
        if request.POST.get("action") == "remap" or posted.as_json() != plan.as_json():
            try:
                return _preview_foreign(request, token=token, names=upload.get("names", []), kind=plan.kind, plan=posted,
                                        message=_("The mapping changed: here is the check with the new mapping. Nothing has been written yet."))
            except DatasetError as exc:
                messages.error(request, exc.message)
                return redirect("dataset:import")
    if upload_path(token) is None:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, _("That upload is no longer waiting; upload the files again."))
        return redirect("dataset:import")
    # The import runs in the background (kehu.dataset.jobs): the job's page shows its progress,
    # then the counts or the bad rows; the job discards the upload when it is done with it.
    job = job_start(user=request.user, kind="import", params={**upload, "skip_bad": request.POST.get("skip_bad") == "1"})
    request.session.pop(SESSION_KEY, None)
    return redirect("jobs:detail", pk=job.pk)


def _count_rows(report) -> list[dict]:
    return [
        {"file": name, "create": report.created[name], "update": report.updated[name], "unchanged": report.unchanged.get(name, 0)}
        for name in report.created
    ]


@login_required
def import_template_view(request):
    """A template with Chinese headings for a kind of list (?kind=customers …): CSV (?format=csv,
    UTF-8 with a BOM, so Excel opens it) or an Excel workbook (the default)."""
    _require_import(request)
    kind, fmt = request.GET.get("kind", "customers"), request.GET.get("format", "xlsx")
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        raise Http404
    target = tempfile.TemporaryFile()
    (template_xlsx if fmt == "xlsx" else template_csv)(kind, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=f"kehu-{kind}-template.{fmt}")


@login_required
def export_view(request):
    """GET: the page; GET with ?format=: the download of what the user may see."""
    form = ExportForm(request.GET if "format" in request.GET else None)
    if form.is_bound and form.is_valid():
        fmt = form.cleaned_data["format"]
        if export_is_large(request.user):  # a background job; its page offers the file
            job = job_start(user=request.user, kind="export", params={"format": fmt})
            return redirect("jobs:detail", pk=job.pk)
        stamp = timezone.localdate().strftime("%Y%m%d")
        target = tempfile.TemporaryFile()
        if fmt == "xlsx":
            export_xlsx(user=request.user, target=target)
            filename = f"kehu-{stamp}.xlsx"
        else:
            export_csv_zip(user=request.user, target=target)
            filename = f"kehu-{stamp}.zip"
        target.seek(0)
        return FileResponse(target, as_attachment=True, filename=filename)
    return render(request, "dataset/export.html", {"nav": "export", "form": form})

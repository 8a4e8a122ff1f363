"""The background jobs' pages (kehu.core.jobs): the list of the user's recent jobs, a job's page
(its progress, refreshed by htmx polling while it runs; its result or why it failed), the
download of its file, and "Run again" for a failed job."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.jobs import (
    JOB_KINDS,
    job_again,
    job_file_readable,
    job_folder,
    job_progress,
    jobs_visible,
    msg_text,
)
from kehu.core.models import Job
from kehu.core.views import get_visible_or_404, is_partial

RECENT = 50  # jobs on the list


def _row(job: Job, user) -> dict:
    kind = JOB_KINDS.get(job.kind)
    result = job.result or {}
    return {
        "job": job,
        "label": str(kind.label) if kind else job.kind,
        "progress": job_progress(job),
        "active": job.state in (Job.State.QUEUED, Job.State.RUNNING),
        "message": msg_text(result.get("message")),
        "error": msg_text(job.error),
        "url": result.get("url", ""),
        "link": msg_text(result.get("link")) or _("Open the result"),
        "download": job_file_readable(user, job),
        "filename": result.get("filename", ""),
        "issues": result.get("issues") or (job.error or {}).get("issues") or [],
        "issue_count": result.get("issue_count") or (job.error or {}).get("issue_count", 0),
        "notices": result.get("notices") or [],
        "again": job.state == Job.State.FAILED and kind is not None and (kind.again is None or kind.again(job)),
    }


@login_required
def job_list(request):
    jobs = list(jobs_visible(request.user).select_related("user")[:RECENT])
    return render(request, "core/job_list.html", {"nav": "jobs", "rows": [_row(j, request.user) for j in jobs],
                                                  "all_users": request.user.is_admin_role})


@login_required
def job_detail(request, pk):
    job = get_visible_or_404(jobs_visible(request.user).select_related("user"), pk=pk)
    ctx = {"nav": "jobs", "row": _row(job, request.user)}
    if is_partial(request):
        return render(request, "core/job_status.html", ctx)
    return render(request, "core/job_detail.html", ctx)


@login_required
def job_download(request, pk):
    job = get_visible_or_404(jobs_visible(request.user), pk=pk)
    if job.state != Job.State.DONE or not job_file_readable(request.user, job):
        raise Http404
    name = str(job.result["file"])
    path = job_folder(job.pk) / name
    if "/" in name or "\\" in name or not path.is_file():
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=job.result.get("filename") or name)


@login_required
@require_POST
def job_run_again(request, pk):
    job = get_visible_or_404(jobs_visible(request.user), pk=pk)
    if job.user_id != request.user.pk:
        raise Http404
    again = job_again(user=request.user, job=job)
    if again is None:
        messages.error(request, _("This job cannot be run again; start it anew from its page."))
        return redirect("jobs:detail", pk=job.pk)
    return redirect("jobs:detail", pk=again.pk)

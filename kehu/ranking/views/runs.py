"""The run pages: list, new run (`can_start_run`: admins and managers), detail, comparison and
their XLSX exports. Runs are company-wide; the rows shown are the user's visible customers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.accounts.visibility import sees_all
from kehu.core.jobs import job_start
from kehu.core.pagination import paginate
from kehu.core.views import get_visible_or_404
from kehu.ranking import exports, selectors
from kehu.ranking.errors import RankingError
from kehu.ranking.forms import RunCreateForm
from kehu.ranking.jobs import EXPORT_SYNC_MAX_ROWS
from kehu.ranking.models import EvaluationRun, RankingSettings
from kehu.ranking.params import ordered_params
from kehu.ranking.permissions import can_start_run
from kehu.ranking.services import evaluation_run
from kehu.ranking.views.reports import PAGE_SIZE, klass_param, results_page


@login_required
def run_list(request):
    model = request.GET.get("model", "")
    model = model if model in EvaluationRun.Model.values else ""
    page = paginate(selectors.run_list(model=model), params=request.GET, page_size=PAGE_SIZE)
    return render(
        request, "ranking/run_list.html",
        {"nav": "ranking", "section": "runs", "page": page, "model": model, "models": EvaluationRun.Model.choices,
         "can_run": can_start_run(request.user),
         # the company-wide size of a run, for those who see every customer
         "sees_all": sees_all(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_create(request):
    if not can_start_run(request.user):
        raise PermissionDenied(_("Only an administrator or a manager may start an evaluation run."))
    preselect = request.POST.get("model") or request.GET.get("model")
    form = RunCreateForm(request.POST or None, model=preselect)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:  # the checks answer here; the run itself is a background job (kehu.ranking.jobs)
            evaluation_run(
                actor=request.user, model=data["model"], as_of=data["as_of"], window_months=data["window_months"], check_only=True,
            )
        except RankingError as exc:
            form.add_error(None, exc.message)
        else:
            job = job_start(user=request.user, kind="evaluation", params={
                "model": data["model"], "as_of": data["as_of"].isoformat(), "window_months": data["window_months"],
            })
            return redirect("jobs:detail", pk=job.pk)
    windows = {m: RankingSettings.load(m).window_months for m in EvaluationRun.Model.values}
    return render(request, "ranking/run_form.html", {"nav": "ranking", "section": "runs", "form": form, "windows": windows})


def _run(pk):
    return get_visible_or_404(EvaluationRun.objects.select_related("started_by"), pk=pk)


@login_required
def run_detail(request, pk):
    run = _run(pk)
    klass = klass_param(request, run.model)
    table = selectors.class_table(run, request.user)
    ctx = {
        "nav": "ranking", "section": "runs", "run": run, "klass": klass, "classes": selectors.class_choices(run.model),
        "table": table, "scoped": selectors.scope_note(run, request.user, table["count"]),
        "page": results_page(request, run, klass),
        "indicator_names": [selectors.indicator_label(n) for n in selectors.INDICATORS[run.model]],
        "params": list(ordered_params(run).items()),
        "previous": selectors.previous_run(run),
    }
    return render(request, "ranking/run_detail.html", ctx)


def _compare_runs(request, pk):
    """(after, before, error message)."""
    after = _run(pk)
    raw = request.GET.get("with", "")
    if raw:
        before = selectors.run_get(raw)
        if before is None:
            return after, None, _("Run “%(run)s” does not exist.") % {"run": raw}
        if before.model != after.model:
            return after, before, _(
                "Run #%(a)s (%(model_a)s) and run #%(b)s (%(model_b)s) use different models and cannot be compared."
            ) % {"a": before.pk, "model_a": before.get_model_display(), "b": after.pk, "model_b": after.get_model_display()}
        return after, before, None
    return after, selectors.previous_run(after), None


@login_required
def run_compare(request, pk):
    after, before, error = _compare_runs(request, pk)
    ctx = {"nav": "ranking", "section": "runs", "run": after, "before": before, "error": error, "runs": selectors.runs_of(after.model)}
    if error:
        return render(request, "ranking/run_compare.html", ctx, status=400)
    if before is not None:
        ctx["diff"] = selectors.compare(before, after, request.user)
        diff = ctx["diff"]
        titles = {"entered": _("Entered"), "left": _("Left"), "promoted": _("Promoted"), "demoted": _("Demoted")}
        ctx["sections"] = [(key, title, diff[key], diff["totals"][key]) for key, title in titles.items()]
    return render(request, "ranking/run_compare.html", ctx)


@login_required
def run_export(request, pk):
    run = _run(pk)
    table = selectors.class_table(run, request.user)
    if table["count"] > EXPORT_SYNC_MAX_ROWS:  # a background job; its page offers the file
        job = job_start(user=request.user, kind="ranking_export", params={"run": run.pk, "class": klass_param(request, run.model)})
        return redirect("jobs:detail", pk=job.pk)
    rows = selectors.result_rows(run, request.user, klass=klass_param(request, run.model) or None)
    return exports.workbook_response(
        f"ranking-run-{run.pk}.xlsx",
        [exports.class_sheet(run, table), exports.results_sheet(run, rows), exports.params_sheet(run)],
    )


@login_required
def run_compare_export(request, pk):
    after, before, error = _compare_runs(request, pk)
    if error or before is None:
        messages.error(request, error or _("There is no earlier run of this model to compare with."))
        return redirect(reverse("ranking:run-compare", args=[after.pk]))
    if max(before.result_count, after.result_count) > EXPORT_SYNC_MAX_ROWS:  # a background job
        job = job_start(user=request.user, kind="ranking_export", params={"run": after.pk, "with": before.pk})
        return redirect("jobs:detail", pk=job.pk)
    diff = selectors.compare(before, after, request.user, limit=None)
    return exports.workbook_response(f"ranking-compare-{before.pk}-{after.pk}.xlsx", exports.compare_sheets(before, after, diff))

"""The ranking report pages (DOMAIN.md §5, issue 6 "Reports"): the pyramid, the value classes,
the key accounts, the runs (list, new, detail, compare) and their XLSX exports.

Runs are company-wide; every customer row, count and sum shown is restricted to the customers
the user may see. Starting a run is for admins and managers (`can_run`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.accounts.visibility import sees_all
from kehu.core.pagination import paginate
from kehu.ranking import exports, reports
from kehu.ranking.forms_reports import RunCreateForm
from kehu.ranking.models import EvaluationRun, RankingSettings
from kehu.ranking.services import RankingError, evaluation_run, ordered_params

PAGE_SIZE = 50


def can_run(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_admin_role or user.is_manager))


def _klass(request, model):
    klass = request.GET.get("class", "")
    return klass if klass in reports.CLASS_ORDER[model] else ""


def _base(request, model, run, section):
    return {
        "nav": "ranking",
        "section": section,
        "model": model,
        "run": run,
        "runs": reports.runs_of(model),
        "can_run": can_run(request.user),
    }


def _pick(request, model):
    """The run asked for with ?run= (this model only), else the latest; a wrong pk is said, not an error."""
    run = reports.run_pick(model, request.GET.get("run"))
    if run is None and request.GET.get("run"):
        messages.warning(request, _("Run “%(run)s” is not a run of this model; showing the latest.") % {"run": request.GET["run"]})
        run = reports.run_pick(model, None)
    return run


def _chart_data(table) -> list[dict]:
    """ECharts data as decimal strings (never floats)."""
    return [
        {"klass": r["klass"], "name": str(r["label"]), "count": r["count"], "profit_pct": str(r["profit_pct"]),
         "count_pct": str(r["count_pct"]), "sales": str(r["sales"])}
        for r in table["rows"]
    ]


# ---------------------------------------------------------------------------- reports


@login_required
def pyramid(request):
    run = _pick(request, "pyramid")
    ctx = _base(request, "pyramid", run, "pyramid")
    if run is not None:
        table = reports.class_table(run, request.user)
        ctx.update(table=table, chart=_chart_data(table), scoped=reports.scope_note(run, request.user, table["count"]))
    return render(request, "ranking/pyramid.html", ctx)


def _results_page(request, run, klass):
    rows = reports.result_rows(run, request.user, klass=klass)
    page = paginate(rows, params=request.GET, page_size=PAGE_SIZE)
    page.rows = reports.decorate(page.rows, run.model)
    return page


@login_required
def value(request):
    run = _pick(request, "value")
    ctx = _base(request, "value", run, "value")
    if run is not None:
        klass = _klass(request, "value")
        table = reports.class_table(run, request.user)
        ctx.update(
            table=table, chart=_chart_data(table), scoped=reports.scope_note(run, request.user, table["count"]),
            klass=klass, classes=reports.class_choices("value"), page=_results_page(request, run, klass),
            indicator_names=[reports.indicator_label(n) for n in reports.INDICATORS["value"]],
        )
    return render(request, "ranking/value.html", ctx)


@login_required
def key_accounts(request):
    run = _pick(request, "key_account")
    ctx = _base(request, "key_account", run, "key_accounts")
    if run is not None:
        show_all = request.GET.get("all") == "1"
        table = reports.class_table(run, request.user)
        params = ordered_params(run)
        ctx.update(
            table=table, scoped=reports.scope_note(run, request.user, table["count"]), show_all=show_all,
            page=_results_page(request, run, None if show_all else "key"),
            indicator_names=[reports.indicator_label(n) for n in reports.INDICATORS["key_account"]],
            threshold=params.get("threshold"),
            weights=[(reports.indicator_label(k[2:]), v) for k, v in params.items() if k.startswith("w_")],
        )
    return render(request, "ranking/key_accounts.html", ctx)


# ---------------------------------------------------------------------------- runs


@login_required
def run_list(request):
    model = request.GET.get("model", "")
    runs = EvaluationRun.objects.select_related("started_by").order_by("-as_of", "-id")
    if model in EvaluationRun.Model.values:
        runs = runs.filter(model=model)
    else:
        model = ""
    page = paginate(runs, params=request.GET, page_size=PAGE_SIZE)
    return render(
        request, "ranking/run_list.html",
        {"nav": "ranking", "section": "runs", "page": page, "model": model, "models": EvaluationRun.Model.choices, "can_run": can_run(request.user),
         # the company-wide size of a run, for those who see every customer
         "sees_all": sees_all(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_create(request):
    if not can_run(request.user):
        raise PermissionDenied(_("Only an administrator or a manager may start an evaluation run."))
    preselect = request.POST.get("model") or request.GET.get("model")
    form = RunCreateForm(request.POST or None, model=preselect)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = evaluation_run(
                actor=request.user, model=data["model"], as_of=data["as_of"], window_months=data["window_months"],
            )
        except RankingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Evaluation run #%(run)s (%(model)s, as of %(as_of)s) is done.")
                % {"run": run.pk, "model": run.get_model_display(), "as_of": run.as_of.isoformat()},
            )
            return redirect("ranking:run-detail", pk=run.pk)
    windows = {m: RankingSettings.load(m).window_months for m in EvaluationRun.Model.values}
    return render(request, "ranking/run_form.html", {"nav": "ranking", "section": "runs", "form": form, "windows": windows})


def _run(pk):
    return get_object_or_404(EvaluationRun.objects.select_related("started_by"), pk=pk)


@login_required
def run_detail(request, pk):
    run = _run(pk)
    klass = _klass(request, run.model)
    table = reports.class_table(run, request.user)
    ctx = {
        "nav": "ranking", "section": "runs", "run": run, "klass": klass, "classes": reports.class_choices(run.model),
        "table": table, "scoped": reports.scope_note(run, request.user, table["count"]),
        "page": _results_page(request, run, klass),
        "indicator_names": [reports.indicator_label(n) for n in reports.INDICATORS[run.model]],
        "params": list(ordered_params(run).items()),
        "previous": reports.previous_run(run),
    }
    return render(request, "ranking/run_detail.html", ctx)


def _compare_runs(request, pk):
    """(after, before, error message)."""
    after = _run(pk)
    raw = request.GET.get("with", "")
    if raw:
        try:
            before = EvaluationRun.objects.filter(pk=int(raw)).first()
        except ValueError:
            before = None
        if before is None:
            return after, None, _("Run “%(run)s” does not exist.") % {"run": raw}
        if before.model != after.model:
            return after, before, _(
                "Run #%(a)s (%(model_a)s) and run #%(b)s (%(model_b)s) use different models and cannot be compared."
            ) % {"a": before.pk, "model_a": before.get_model_display(), "b": after.pk, "model_b": after.get_model_display()}
        return after, before, None
    return after, reports.previous_run(after), None


@login_required
def run_compare(request, pk):
    after, before, error = _compare_runs(request, pk)
    ctx = {"nav": "ranking", "section": "runs", "run": after, "before": before, "error": error, "runs": reports.runs_of(after.model)}
    if error:
        return render(request, "ranking/run_compare.html", ctx, status=400)
    if before is not None:
        ctx["diff"] = reports.compare(before, after, request.user)
        diff = ctx["diff"]
        titles = {"entered": _("Entered"), "left": _("Left"), "promoted": _("Promoted"), "demoted": _("Demoted")}
        ctx["sections"] = [(key, title, diff[key], diff["totals"][key]) for key, title in titles.items()]
    return render(request, "ranking/run_compare.html", ctx)


# ---------------------------------------------------------------------------- exports


def _no_run(request, model):
    messages.info(request, _("There is no evaluation run to export yet."))
    return redirect({"pyramid": "ranking:pyramid", "value": "ranking:value", "key_account": "ranking:key-accounts"}[model])


def _report_export(request, model, klass):
    run = reports.run_pick(model, request.GET.get("run"))
    if run is None:
        return _no_run(request, model)
    table = reports.class_table(run, request.user)
    rows = reports.result_rows(run, request.user, klass=klass)
    return exports.workbook_response(
        f"ranking-{model}-{run.pk}.xlsx",
        [exports.class_sheet(run, table), exports.results_sheet(run, rows), exports.params_sheet(run)],
    )


@login_required
def pyramid_export(request):
    return _report_export(request, "pyramid", _klass(request, "pyramid") or None)


@login_required
def value_export(request):
    return _report_export(request, "value", _klass(request, "value") or None)


@login_required
def key_accounts_export(request):
    return _report_export(request, "key_account", None if request.GET.get("all") == "1" else "key")


@login_required
def run_export(request, pk):
    run = _run(pk)
    table = reports.class_table(run, request.user)
    rows = reports.result_rows(run, request.user, klass=_klass(request, run.model) or None)
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
    diff = reports.compare(before, after, request.user, limit=None)
    return exports.workbook_response(f"ranking-compare-{before.pk}-{after.pk}.xlsx", exports.compare_sheets(before, after, diff))

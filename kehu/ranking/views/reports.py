"""The report pages (DOMAIN.md §5): the pyramid, the value classes, the key accounts, and their
XLSX exports. Runs are company-wide; every customer row, count and sum shown is restricted to
the customers the user may see (`kehu.ranking.selectors`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kehu.core.pagination import paginate
from kehu.core.templatetags.kehu_core import money, percent, score
from kehu.ranking import exports, selectors
from kehu.ranking.params import ordered_params
from kehu.ranking.permissions import can_start_run

PAGE_SIZE = 50


def klass_param(request, model):
    """`?class=` when it is a class of `model`, else ""."""
    klass = request.GET.get("class", "")
    return klass if klass in selectors.CLASS_ORDER[model] else ""


def results_page(request, run, klass, *, total=None):
    """`total`: the visible rows of the selection when the class table already counted them."""
    rows = selectors.result_rows(run, request.user, klass=klass)
    page = paginate(rows, params=request.GET, page_size=PAGE_SIZE, total=total)
    page.rows = selectors.decorate(page.rows, run.model)
    return page


def _cell(v) -> str:
    if v["value"] is None:
        return "–"
    if v["money"]:
        return money(v["value"])
    if v["ratio"]:
        return percent(v["value"], "ratio")
    return score(v["value"])


def rows_html(rows) -> str:
    """The results table's rows (templates/ranking/partials/results_table.html) as its loop wrote
    them, escaped the same way: 50 rows × ~15 cells through the template engine cost more than
    the page's queries."""
    e = conditional_escape
    # the customer page's address reversed once (`reverse` per row cost more than the row's cells)
    marker = 2147483647
    link = e(reverse("customers:detail", args=[marker])).split(str(marker))
    out = []
    for row in rows:
        customer, result = row["customer"], row["result"]
        rank = "–" if result.rank is None else result.rank
        value = "–" if result.score is None else score(result.score)
        cells = "".join(f'<td class="text-end hide-sm">{e(_cell(v))}</td>' for v in row["indicators"])
        out.append(
            f'\n  <tr data-testid="result-{e(customer.code)}">\n    <td>{e(customer.code)}</td>\n'
            f'    <td><a href="{link[0]}{int(customer.pk)}{link[1]}">{e(customer.name)}</a></td>\n'
            f'    <td>{e(row["label"])}</td>\n    <td class="text-end">{e(rank)}</td>\n    <td class="text-end">{e(value)}</td>\n'
            f'    {cells}\n  </tr>\n  '
        )
    return "".join(out)


def _base(request, model, run, section):
    return {
        "nav": "ranking",
        "section": section,
        "model": model,
        "run": run,
        "runs": selectors.runs_of(model),
        "can_run": can_start_run(request.user),
    }


def _pick(request, model):
    """The run asked for with ?run= (this model only), else the latest; a wrong pk is said, not an error."""
    run = selectors.run_pick(model, request.GET.get("run"))
    if run is None and request.GET.get("run"):
        messages.warning(request, _("Run “%(run)s” is not a run of this model; showing the latest.") % {"run": request.GET["run"]})
        run = selectors.run_pick(model, None)
    return run


def chart_data(table) -> list[dict]:
    """What the charts draw (static/kehu/ranking-charts.js): one entry per class, in ladder order
    (best first), numbers as decimal strings (never floats)."""
    return [
        {"klass": r["klass"], "name": str(r["label"]), "count": r["count"], "profit_pct": str(r["profit_pct"]),
         "count_pct": str(r["count_pct"]), "sales": str(r["sales"])}
        for r in table["rows"]
    ]


@login_required
def pyramid(request):
    run = _pick(request, "pyramid")
    ctx = _base(request, "pyramid", run, "pyramid")
    if run is not None:
        table = selectors.class_table(run, request.user)
        ctx.update(table=table, chart=chart_data(table), scoped=selectors.scope_note(run, request.user, table["count"]))
    return render(request, "ranking/pyramid.html", ctx)


@login_required
def value(request):
    run = _pick(request, "value")
    ctx = _base(request, "value", run, "value")
    if run is not None:
        klass = klass_param(request, "value")
        table = selectors.class_table(run, request.user)
        # The pager's total is the class table's count (the same visible rows): no count query.
        total = table["count"] if not klass else next(r["count"] for r in table["rows"] if r["klass"] == klass)
        page = results_page(request, run, klass, total=total)
        page.rows_html = mark_safe(rows_html(page.rows))  # noqa: S308 — every value escaped in rows_html
        ctx.update(
            table=table, chart=chart_data(table), scoped=selectors.scope_note(run, request.user, table["count"]),
            klass=klass, classes=selectors.class_choices("value"), page=page,
            indicator_names=[selectors.indicator_label(n) for n in selectors.INDICATORS["value"]],
        )
    return render(request, "ranking/value.html", ctx)


@login_required
def key_accounts(request):
    run = _pick(request, "key_account")
    ctx = _base(request, "key_account", run, "key_accounts")
    if run is not None:
        show_all = request.GET.get("all") == "1"
        table = selectors.class_table(run, request.user)
        params = ordered_params(run)
        ctx.update(
            table=table, scoped=selectors.scope_note(run, request.user, table["count"]), show_all=show_all,
            page=results_page(request, run, None if show_all else "key"),
            indicator_names=[selectors.indicator_label(n) for n in selectors.INDICATORS["key_account"]],
            threshold=params.get("threshold"),
            weights=[(selectors.indicator_label(k[2:]), v) for k, v in params.items() if k.startswith("w_")],
        )
    return render(request, "ranking/key_accounts.html", ctx)


# ---------------------------------------------------------------------------- exports


def _no_run(request, model):
    messages.info(request, _("There is no evaluation run to export yet."))
    return redirect({"pyramid": "ranking:pyramid", "value": "ranking:value", "key_account": "ranking:key-accounts"}[model])


def _report_export(request, model, klass):
    run = selectors.run_pick(model, request.GET.get("run"))
    if run is None:
        return _no_run(request, model)
    table = selectors.class_table(run, request.user)
    rows = selectors.result_rows(run, request.user, klass=klass)
    return exports.workbook_response(
        f"ranking-{model}-{run.pk}.xlsx",
        [exports.class_sheet(run, table), exports.results_sheet(run, rows), exports.params_sheet(run)],
    )


@login_required
def pyramid_export(request):
    return _report_export(request, "pyramid", klass_param(request, "pyramid") or None)


@login_required
def value_export(request):
    return _report_export(request, "value", klass_param(request, "value") or None)


@login_required
def key_accounts_export(request):
    return _report_export(request, "key_account", None if request.GET.get("all") == "1" else "key")

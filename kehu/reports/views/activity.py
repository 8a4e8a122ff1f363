"""The rep activity report with its leaderboard (/reports/activity/) and its XLSX export."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from kehu.core.templatetags.kehu_core import money, percent
from kehu.reports import charts
from kehu.reports.exports import report_workbook
from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.activity import RANK_DEFAULT, RANK_MEASURES, leaderboard, missed_list, rep_activity


def _rank_measure(request, flt) -> str:
    """The leaderboard's measure from ?rank= (unknown: the default, and the page says so)."""
    value = (request.GET.get("rank") or "").strip()
    if not value:
        return RANK_DEFAULT
    if value in dict(RANK_MEASURES):
        return value
    flt.problems.append(_("Unknown ranking measure: %(value)s; ranking by won amount.") % {"value": value[:40]})
    return RANK_DEFAULT


def _headers():
    from kehu.activities.models import Activity

    return [str(label) for _v, label in Activity.Kind.choices], [str(label) for _v, label in Activity.VisitLevel.choices]


def _links(request, flt, rows):
    """Each figure's page, where one exists and the reader may open it."""
    user = request.user
    customers = reverse("customers:list")
    opportunities = reverse("sales:opportunity-list")
    team_view = (user.is_manager or user.is_admin_role)
    for row in rows:
        pk = row.rep.pk
        # the count cells as text: a number rendered by the template is localized, ~10 µs a cell
        row.kind_cells = [(k, str(n)) for k, n in row.kinds.items()]
        row.level_cells = [(lv, str(n)) for lv, n in row.levels.items()]
        row.text = {"new": str(row.new_customers), "followups": str(row.followups), "prospects": str(row.prospects),
                    "qualified": str(row.qualified), "quotes": str(row.quotes), "won_count": str(row.won_count), "missed": str(row.missed)}
        row.links = {
            "customers": f"{customers}?owner={pk}",
            "prospects": f"{customers}?owner={pk}&stage=prospect",
            "qualified": f"{customers}?owner={pk}&stage=qualified",
            "won": f"{opportunities}?owner={pk}&stage=won&close_from={flt.period.start.isoformat()}&close_to={flt.period.end.isoformat()}",
            "followups": (f"{reverse('activities:team')}?period=custom&from={flt.period.start.isoformat()}&to={flt.period.end.isoformat()}"
                          + (f"&team={row.rep.team_id}" if row.rep.team_id and user.is_admin_role else "")) if team_view else "",
            "missed": f"?{flt.query(missed=pk)}#missed",
        }


def _escape(value) -> str:
    """`conditional_escape` without its lazy-string wrapper (~4,000 calls a page): a safe string
    as it is, anything else through the same `html.escape` Django's `escape` uses."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _row_html(row, left: str) -> str:
    """One rep's row of the table, as the template wrote it (escaped the same way): ~120 rows of
    ~30 cells rendered by the template engine cost ~40 ms at 100 reps; joined here, ~2 ms."""
    e = _escape
    links, text = row.links, row.text

    def cells(pairs, prefix):
        return "".join(f'<td class="text-end{" border-start" if i == 0 else ""}" data-col="{prefix}-{e(k)}">{e(n)}</td>'
                       for i, (k, n) in enumerate(pairs))

    followups = f'<a href="{e(links["followups"])}">{e(text["followups"])}</a>' if links["followups"] else e(text["followups"])
    missed = f'<a href="{e(links["missed"])}">{e(text["missed"])}</a>' if row.missed else "0"
    gone = "" if row.rep.is_active else f' <span class="kehu-muted">({e(left)})</span>'
    return (
        f'<tr data-testid="activity-rep-{e(row.rep.pk)}">\n'
        f'    <td>{e(row.rep)}{gone}</td>\n'
        f'    <td class="text-end" data-col="new"><a href="{e(links["customers"])}">{e(text["new"])}</a></td>\n'
        f'    {cells(row.kind_cells, "kind")}\n'
        f'    <td class="text-end" data-col="followups">{followups}</td>\n'
        f'    {cells(row.level_cells, "level")}\n'
        f'    <td class="text-end border-start" data-col="prospects"><a href="{e(links["prospects"])}">{e(text["prospects"])}</a></td>\n'
        f'    <td class="text-end" data-col="qualified"><a href="{e(links["qualified"])}">{e(text["qualified"])}</a></td>\n'
        f'    <td class="text-end" data-col="quotes">{e(text["quotes"])}</td>\n'
        f'    <td class="text-end" data-col="won-count"><a href="{e(links["won"])}">{e(text["won_count"])}</a></td>\n'
        f'    <td class="text-end" data-col="won-amount"><a href="{e(links["won"])}">{e(money(row.won_amount))}</a></td>\n'
        f'    <td class="text-end" data-col="revenue">{e(money(row.revenue))}</td>\n'
        f'    <td class="text-end" data-col="collections">{e(money(row.collected))}</td>\n'
        f'    <td class="text-end" data-col="missed">{missed}</td>\n'
        f'    <td class="text-end" data-col="target">{e(money(row.target_amount) or "—")}</td>\n'
        f'    <td class="text-end" data-col="attained">{e(percent(row.attained, "ratio") or "—")}</td>\n'
        f'  </tr>'
    )


def _ranked_html(ranked, measure: str) -> str:
    """The leaderboard's rows, as the template wrote them (escaped the same way)."""
    e = _escape

    def value(r):
        if measure == "won":
            return e(money(r.won_amount))
        if measure == "revenue":
            return e(money(r.revenue))
        if measure == "collections":
            return e(money(r.collected))
        if measure == "followups":
            return e(r.followups)
        return e(percent(r.attained, "ratio") or "—")

    return "".join(f'<tr data-testid="rank-row-{e(r.rank)}"><td>{e(r.rank)}</td><td>{e(r.rep)}</td><td class="text-end">\n'
                   f'        {value(r)}\n      </td></tr>' for r in ranked)


@login_required
@require_GET
def activity_view(request):
    if not can_view_reports(request.user):
        raise Http404
    flt = report_filter(request, default="month")
    measure = _rank_measure(request, flt)
    report = rep_activity(flt)
    rows = report["rows"]
    _links(request, flt, rows)
    ranked = leaderboard(list(rows), measure)
    measure_label = str(dict(RANK_MEASURES)[measure])
    chart_rows = list(reversed(ranked))  # ECharts draws a horizontal bar's first category at the bottom
    option = charts.bar([str(r.rep) for r in chart_rows], [(measure_label, [r.measure(measure) for r in chart_rows])], horizontal=True)
    missed = None
    wanted = request.GET.get("missed")
    if wanted:
        rep = next((r.rep for r in rows if str(r.rep.pk) == wanted.strip()), None)
        if rep is None:
            flt.problems.append(_("There is no such rep among yours; showing all you see."))
        else:
            missed = {"rep": rep, **missed_list(flt, rep)}
    kind_labels, level_labels = _headers()
    left = _("left")
    for row in rows:
        row.html = mark_safe(_row_html(row, left))  # noqa: S308 — every value escaped in _row_html
    return render(request, "reports/activity.html", {
        "nav": "report-activity",
        **filter_context(flt, picker_reps=report["visible_reps"]),
        "export_url": reverse("reports:activity-export"),
        "rows": rows,
        "totals": report["totals"],
        "ranked": ranked,
        "ranked_html": mark_safe(_ranked_html(ranked, measure)),  # noqa: S308 — every value escaped in _ranked_html
        "rank_measure": measure,
        "rank_label": measure_label,
        "rank_measures": RANK_MEASURES,
        "rank_query": flt.query(),
        "chart_option": option,
        "chart_height": max(160, 32 * len(ranked) + 60),
        "kind_labels": kind_labels,
        "level_labels": level_labels,
        "missed": missed,
        # the filter bar keeps the leaderboard's measure when it is submitted
        "extra_fields": format_html('<input type="hidden" name="rank" value="{}">', measure),
        # … and so do the quick period links and the export
        "filter_keep": urlencode({"rank": measure}),
    })


def export_sheets(flt, report, ranked, measure):
    from kehu.activities.models import Activity

    kind_labels, level_labels = _headers()
    header = [_("Rep"), _("Team"), _("New customers"), *kind_labels, _("Follow-ups"), *[_("Visits: %(level)s") % {"level": lv} for lv in level_labels],
              _("Prospects"), _("Qualified customers"), _("Quotes"), _("Deals won"), _("Won amount"), _("Revenue"), _("Collections"),
              _("Planned follow-ups missed"), _("Won target"), pgettext("targets", "Attained")]

    def cells(r, name, team):
        return [name, team, r.new_customers, *[r.kinds[k] for k in Activity.Kind.values], r.followups,
                *[r.levels[lv] for lv in Activity.VisitLevel.values], r.prospects, r.qualified, r.quotes, r.won_count,
                (r.won_amount, True), (r.revenue, True), (r.collected, True), r.missed,
                (r.target_amount, True) if r.target_amount is not None else "", r.attained if r.attained is not None else ""]

    rows = [cells(r, str(r.rep), r.rep.team.name if r.rep.team else "") for r in report["rows"]]
    rows.append(cells(report["totals"], _("Total"), ""))
    board = [[r.rank, str(r.rep), (r.measure(measure), measure in ("won", "revenue", "collections")) if r.measure(measure) is not None else ""]
             for r in ranked]
    return [(_("Rep activity and leaderboard"), header, rows), (_("Leaderboard"), [_("Rank"), _("Rep"), str(dict(RANK_MEASURES)[measure])], board)]


@login_required
@require_GET
def activity_export_view(request):
    if not can_view_reports(request.user):
        raise Http404
    flt = report_filter(request, default="month")
    measure = _rank_measure(request, flt)
    report = rep_activity(flt)
    ranked = leaderboard(list(report["rows"]), measure)
    return report_workbook(f"rep-activity-{flt.period.label}.xlsx", flt, export_sheets(flt, report, ranked, measure))

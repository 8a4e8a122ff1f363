"""Targets and attainment pages (DOMAIN.md §7): the year's grid of reps × months with the teams'
and the company's own targets beside the sums of their members', the spread tools, the
attainment of any period, and targets.csv."""

import csv
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.errors import DomainError
from kehu.core.templatetags.kehu_core import money
from kehu.core.views import pick_visible_or_404, refuse
from kehu.planning.errors import PlanningError
from kehu.planning.models import Measure, Target
from kehu.planning.periods import parse_period, period_of
from kehu.planning.permissions import can_edit_targets, can_view_planning
from kehu.planning.querysets import planning_users, sees_company, visible_teams
from kehu.planning.selectors.targets import attainment_table, target_grid, targets_export_rows
from kehu.planning.services.targets import HOWS, TargetGridError, clean_amount, clean_year, target_spread, targets_grid_save

MONTHS = range(1, 13)


def _year_and_measure(params) -> tuple[int, str]:
    try:
        year = clean_year(params.get("year") or timezone.localdate().year)
    except PlanningError:
        year = timezone.localdate().year
    measure = params.get("measure") if params.get("measure") in Measure.values else Measure.WON
    return year, measure


def _cell(value) -> str:
    return "" if value is None else str(value)


def _grid_rows(grid: dict) -> list[dict]:
    """The grid's rows in page order: the company, each team followed by its reps, reps without
    a visible team last."""
    rows = []
    if grid["company"]:
        rows.append(grid["company"])
    shown = set()
    for team_row in grid["teams"]:
        rows.append(team_row)
        for rep_row in grid["reps"]:
            if rep_row["user"].team_id == team_row["team"].pk:
                rows.append(rep_row)
                shown.add(rep_row["key"])
    rows += [r for r in grid["reps"] if r["key"] not in shown]
    for row in rows:
        row["values"] = [_cell(a) for a in row["months"]] if row["months"] else [""] * 12
    return rows


def _cells(rows: list[dict], *, can_edit: bool) -> None:
    """Each row's twelve month cells (`row["cells"]`) and its members' (`row["members_cells"]`) as
    HTML, built here rather than by the template: the director's grid has ~1,300 inputs, and
    the template engine spent most of the page's time on them. The markup is exactly what the
    template wrote: an input per month in an editable row (marked invalid where `row["bad"]`
    says), else the amount through `money` ("—" when empty)."""
    for row in rows:
        if can_edit and row["editable"]:
            key, bad = escape(row["key"]), row.get("bad") or ()
            row["cells"] = mark_safe("".join(
                f'<td class="text-end"><input class="form-control form-control-sm text-end kehu-month{" is-invalid" if month in bad else ""}" '
                f'style="min-width:7rem;max-width:8.5rem" form="target-grid-form" name="m-{key}-{month}" value="{escape(value)}" '
                f'inputmode="decimal" aria-label="{month}" data-month></td>'
                for month, value in enumerate(row["values"], start=1)))
        else:
            row["cells"] = mark_safe("".join(f'<td class="text-end">{escape(money(value) or "—")}</td>' for value in row["values"]))
        members = row.get("members_months")
        row["members_cells"] = mark_safe("".join(f'<td class="text-end text-nowrap">{escape(money(a))}</td>' for a in members)) if members else ""


def _posted_rows(request, rows: list[dict]) -> list[dict]:
    """The editable rows whose typed months differ from what the grid showed."""
    changed = []
    for row in rows:
        if not row["editable"]:
            continue
        typed = [request.POST.get(f"m-{row['key']}-{m}", "").strip() for m in MONTHS]
        row["values"] = typed
        shown = [_cell(a) for a in row["months"]] if row["months"] else [""] * 12
        if typed != shown:
            changed.append({"scope": row["scope"], "team": row["team"] if row["scope"] == Target.Scope.TEAM else None,
                            "user": row["user"], "months": typed})
    return changed


def _mark_bad_cells(rows: list[dict]) -> None:
    """The months typed wrong in each row (`row["bad"]`), to mark their inputs."""
    for row in rows:
        bad = set()
        for month, typed in enumerate(row.get("values") or [], start=1):
            if str(typed).strip():
                try:
                    clean_amount(typed)
                except PlanningError:
                    bad.add(month)
        row["bad"] = bad


@login_required
@require_http_methods(["GET", "POST"])
def targets_view(request):
    if not can_view_planning(request.user):
        raise Http404
    year, measure = _year_and_measure(request.GET if request.method == "GET" else request.POST)
    grid = target_grid(user=request.user, year=year, measure=measure)
    rows = _grid_rows(grid)
    problems = []
    if request.method == "POST":
        if not can_edit_targets(request.user):
            raise PermissionDenied
        here = f"{reverse('planning:targets')}?year={year}&measure={measure}"
        if request.POST.get("action") == "spread":
            return _spread(request, rows, year=year, measure=measure, here=here)
        try:
            saved = targets_grid_save(actor=request.user, year=year, measure=measure, rows=_posted_rows(request, rows))
        except TargetGridError as exc:
            problems = exc.problems
            _mark_bad_cells(rows)
        else:
            messages.success(request, _("Targets saved: %(count)d changed.") % {"count": len(saved)})
            return redirect(here)
    can_edit = can_edit_targets(request.user)
    _cells(rows, can_edit=can_edit)
    context = {
        "weights": mark_safe(render_to_string("planning/targets_weights.html", {"months": list(MONTHS)}).strip()),
        "nav": "targets", "year": year, "measure": measure, "measures": Measure.choices, "rows": rows, "months": list(MONTHS),
        "problems": problems, "can_edit": can_edit, "years": list(range(year - 2, year + 3)),
        "hows": HOWS,
    }
    return render(request, "planning/target_grid.html", context, status=400 if problems else 200)


def _spread(request, rows, *, year, measure, here):
    row = next((r for r in rows if r["key"] == request.POST.get("key")), None)
    if row is None:
        raise Http404
    try:
        target = target_spread(
            actor=request.user, year=year, measure=measure, scope=row["scope"], team=row["team"] if row["scope"] == Target.Scope.TEAM else None,
            user=row["user"], amount=request.POST.get("amount", ""), how=request.POST.get("how", "even"),
            weights=[request.POST.get(f"w{m}", "") for m in MONTHS],
        )
    except DomainError as exc:
        return refuse(request, exc.message, here)
    except PermissionDenied:
        return refuse(request, _("You may not set this target."), here)
    messages.success(request, _("Target of %(who)s spread over the months.") % {"who": row["user"] or row["team"] or _("the company")})
    if request.POST.get("how") == "last_year":
        _warn_thin_history(request, target)
    return redirect(here)


def _warn_thin_history(request, target) -> None:
    """Last year's shape from a year with empty months (a firm new to Kehu, a rep who joined
    mid-year) puts no target in those months: say so, so the director can spread evenly instead."""
    raw = list(target.weights or [])
    weights = [Decimal(str(w)) if w not in ("", None) else Decimal(0) for w in raw]
    empty = [str(m) for m, w in enumerate(weights, start=1) if not w]
    if all(w in ("", None) for w in raw) or all(w == 1 for w in weights):  # no history at all: stored even
        messages.info(request, _("Last year had nothing to shape the target by: it was spread evenly."))
    elif empty:
        messages.warning(request, _("Last year had nothing in months %(months)s, so they get no target. If last year is not "
                                    "a fair shape, spread evenly or type the weights.") % {"months": ", ".join(empty)})


def _attainment_scope(request, *, teams: list, reps: list):
    """(scope, team, rep) asked for, defaulting to what the user sees first; 404 for a team or
    rep they don't see. `teams`: the teams the user may choose (none for a rep), by name;
    `reps`: `planning_users(user)` — both read once by the view."""
    user, params = request.user, request.GET
    scope = params.get("scope")
    if scope not in ("company", "team", "user"):
        scope = "company" if sees_company(user) else ("team" if user.is_manager and teams else "user")
    team = rep = None
    if scope == "team":
        team = pick_visible_or_404(teams, params["team"]) if params.get("team") else (teams[0] if teams else None)
    elif scope == "user":
        rep = pick_visible_or_404(reps, params["rep"]) if params.get("rep") else (user if user.is_rep else (reps[0] if reps else None))
    return scope, team, rep


@login_required
@require_GET
def attainment_view(request):
    if not can_view_planning(request.user):
        raise Http404
    today = timezone.localdate()
    problem = ""
    try:
        period = parse_period(request.GET["period"]) if request.GET.get("period") else period_of("quarter", today)
    except PlanningError as exc:
        period, problem = period_of("quarter", today), exc.message
    _year, measure = _year_and_measure(request.GET)
    # The teams and reps the user sees, read once: the choices, the scope asked for (so already
    # checked) and the scope's reps.
    teams = list(visible_teams(request.user).order_by("name")) if not request.user.is_rep else []
    reps = list(planning_users(request.user))
    scope, team, rep = _attainment_scope(request, teams=teams, reps=reps)
    # Nothing to show (a manager without a team, asked for no team or rep): the page says so.
    nothing = (scope == "team" and team is None) or (scope == "user" and rep is None)
    table = None if nothing else attainment_table(user=request.user, scope=scope, period=period, measure=measure, team=team,
                                                  rep=rep, today=today, teams=teams, reps=reps)
    context = {
        "nav": "attainment", "period": period, "measure": measure, "measures": Measure.choices, "scope": scope, "team": team, "rep": rep,
        "table": table, "nothing": nothing, "problem": problem, "teams": teams,
        "reps": reps, "sees_company": sees_company(request.user), "today": today,
        "quick": [period_of(kind, today) for kind in ("week", "month", "quarter", "half", "year")],
    }
    return render(request, "planning/target_attainment.html", context)


def _safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


@login_required
@require_GET
def target_export_view(request):
    if not can_view_planning(request.user):
        raise Http404
    _year, measure = _year_and_measure(request.GET)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="targets.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["scope", "who", "year", "amount", *[f"m{m}" for m in MONTHS]])
    for cells, _measure in targets_export_rows(user=request.user, measure=measure):
        writer.writerow([_safe(c) for c in cells])
    return response

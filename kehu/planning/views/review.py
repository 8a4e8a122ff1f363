"""The roll-up (each rep's latest commit and best case, the managers' adjustments beside them,
team totals) and the Friday review (target, won, commit, gap, coverage, the waterfall since
last week, slipping deals). Reads in `kehu.planning.selectors.review`, the adjustment in
`kehu.planning.services.adjustments`."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from kehu.core.dates import parse_date_param
from kehu.core.models import CompanySettings
from kehu.core.views import get_visible_or_404, is_partial, pick_visible_or_404
from kehu.planning.errors import PlanningError
from kehu.planning.forms_review import AdjustForm
from kehu.planning.periods import forecast_periods, parse_period, period_of
from kehu.planning.permissions import can_view_planning
from kehu.planning.querysets import sees_company, submissions_visible_to, visible_teams
from kehu.planning.selectors.review import can_view_review, friday_review, resolve_team, rollup
from kehu.planning.services.adjustments import forecast_adjust

TABLE = "planning/rollup_table.html"


def _period(request, today):
    """The period of `?period=` (a month or a quarter), else this quarter; a bad one is said."""
    text = (request.GET.get("period") or "").strip()
    if text:
        try:
            return parse_period(text, kinds=("month", "quarter")), ""
        except PlanningError as exc:
            return period_of("quarter", today), str(exc.message)
    return period_of("quarter", today), ""


def _period_choices(period, today):
    """This and next month, this and next quarter, the last month and quarter, and the one shown."""
    month, quarter = period_of("month", today), period_of("quarter", today)
    choices = [*forecast_periods(today), month.previous(), quarter.previous()]
    if period not in choices:
        choices.append(period)
    return sorted(choices, key=lambda p: (p.kind != "month", p.start))


def _rollup_context(request, *, period, team, today, errors=None):
    data = rollup(user=request.user, period=period, team=team, today=today)
    for row in data.rows:
        row.error = (errors or {}).get(row.user.pk, "")
    return {
        "rollup": data, "period": period, "team": team, "errors": errors or {},
        "currency": CompanySettings.load().default_currency,
        "query": urlencode({"period": period.label, **({"team": team.pk} if team else {})}),
    }


@login_required
@require_GET
def rollup_view(request):
    if not can_view_planning(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    period, error = _period(request, today)
    team = resolve_team(user=request.user, team_id=request.GET.get("team"))
    context = _rollup_context(request, period=period, team=team, today=today)
    if is_partial(request):
        return render(request, TABLE, context)
    return render(request, "planning/rollup_page.html", {
        **context, "nav": "rollup", "period_error": error, "periods": _period_choices(period, today),
        "teams": list(visible_teams(request.user).order_by("name")), "can_review": can_view_review(request.user),
    })


@login_required
@require_POST
@vary_on_headers("HX-Request")
def adjust_view(request, pk):
    """A manager's adjustment of the rep's submission `pk` (404 when the rep's numbers are not
    the user's to see; 403 when they may see but not adjust)."""
    submission = get_visible_or_404(submissions_visible_to(request.user).select_related("user"), pk=pk)
    today = timezone.localdate()
    try:
        period = parse_period(submission.period)
    except PlanningError:
        period = period_of("quarter", today)
    team = resolve_team(user=request.user, team_id=request.POST.get("team"))
    form = AdjustForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            forecast_adjust(actor=request.user, submission=submission, commit=form.cleaned_data["commit"],
                            best_case=form.cleaned_data["best_case"], note=form.cleaned_data["note"])
        except PlanningError as exc:
            error = str(exc.message)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if is_partial(request):
        context = _rollup_context(request, period=period, team=team, today=today, errors={submission.user_id: error} if error else {})
        if not error:
            context["saved"] = submission.user_id
        return render(request, TABLE, context)
    if error:
        messages.warning(request, error)
    else:
        messages.success(request, _("Adjustment of %(rep)s saved.") % {"rep": submission.user})
    query = {"period": period.label, **({"team": team.pk} if team else {})}
    return redirect(f"{reverse('planning:rollup')}?{urlencode(query)}")


def _waterfall_chart(review) -> dict:
    """The waterfall as the chart script reads it: decimal strings and the translated names."""
    names = bar_names()
    water = review.waterfall
    return {
        "start": {"name": _("Open on %(day)s") % {"day": water.since.isoformat()}, "amount": str(water.start)},
        "end": {"name": _("Open now"), "amount": str(water.end)},
        "bars": [{"key": b.key, "name": names[b.key], "amount": str(b.amount), "count": b.count} for b in water.bars],
    }


def bar_names() -> dict:
    return {
        "new": _("New deals"), "pulled_in": _("Pulled in"), "pushed_out": _("Pushed out"), "amount_up": _("Amounts up"),
        "amount_down": _("Amounts down"), "won": _("Won"), "lost": _("Lost"),
    }


@login_required
@require_GET
def review_view(request):
    """The Friday review: the director and finance the company (or a team), a manager their
    teams. A team the user may not review is 404; a rep may not read the review (403)."""
    user = request.user
    team_id = request.GET.get("team")
    if not can_view_review(user):
        if team_id:
            raise Http404
        raise PermissionDenied
    today = timezone.localdate()
    period, error = _period(request, today)
    # The teams the user sees, read once: the choice of team, the one asked for, a manager's scope.
    teams = list(visible_teams(user).order_by("name"))
    team = pick_visible_or_404(teams, team_id) if team_id not in (None, "") else None  # resolve_team over the teams read
    since = parse_date_param(request.GET.get("since"), today - timedelta(days=7))
    if since > today:
        since = today
    review = friday_review(user=user, period=period, team=team, since=since, today=today, teams=teams)
    names = bar_names()
    return render(request, "planning/review_page.html", {
        "nav": "review", "review": review, "period": period, "team": team, "since": review.since, "period_error": error,
        "periods": _period_choices(period, today), "teams": teams,
        "bars": [(b, names[b.key]) for b in review.waterfall.bars], "chart": _waterfall_chart(review),
        "currency": CompanySettings.load().default_currency, "company": sees_company(user),
    })

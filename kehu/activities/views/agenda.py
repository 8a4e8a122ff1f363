"""Pages of the agenda, the calendar, the notification centre and the manager's team view.

Views parse the request, call the selectors of activities.agenda / the services of
activities.notifications, and render. Who sees what is decided there (404 otherwise).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from kehu.activities import agenda, notifications
from kehu.core.dates import DATE_MAX, DATE_MIN, parse_date_param
from kehu.core.pagination import paginate
from kehu.core.views import is_partial


def _safe_next(request, default: str) -> str:
    url = request.POST.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return default


@login_required
@require_GET
def agenda_view(request):
    scope = agenda.agenda_scope(user=request.user, who=request.GET.get("who"))
    sections = agenda.agenda_sections(user=request.user, scope=scope)
    _agenda_rows_decorate(sections)
    return render(request, "activities/agenda.html", {
        "nav": "agenda",
        "scope": scope,
        "sections": sections,
        "today": timezone.localdate(),
    })


def _agenda_rows_decorate(sections) -> None:
    """Per row its customer's URL, its "Log it" URL and its "n days late": each URL reversed
    once per page (not per row), so that a few hundred rows render quickly."""
    marker = "2147483647"
    customer_head, customer_tail = reverse("customers:detail", args=[int(marker)]).split(marker)
    log_head, log_tail = reverse("activities:activity-log", args=[int(marker)]).split(marker)
    for section in sections:
        for row in section["rows"]:
            row.customer_url = f"{customer_head}{row.customer_id}{customer_tail}"
            row.log_url = f"{log_head}{row.customer_id}{log_tail}?fulfils={row.pk}"
            if section["key"] == "overdue":
                row.late_text = ngettext("%(days)s day late", "%(days)s days late", row.days_late) % {"days": row.days_late}


@login_required
@require_GET
def calendar_view(request):
    scope = agenda.agenda_scope(user=request.user, who=request.GET.get("who"))
    today = timezone.localdate()
    day = parse_date_param(request.GET.get("date"), today)  # missing, malformed or out of range: today
    cal = agenda.calendar_days(user=request.user, scope=scope, view=request.GET.get("view") or "week", day=day)
    return render(request, "activities/calendar.html", {"nav": "agenda", "scope": scope, "cal": cal})


@login_required
@require_GET
@vary_on_headers("HX-Request")
def notification_list_view(request):
    unread_only = request.GET.get("unread") == "1"
    page = paginate(notifications.notification_list(user=request.user, unread_only=unread_only), params=request.GET)
    notifications.notifications_decorate(page.rows)
    return render(request, "activities/notification_list.html", {
        "nav": "notifications", "page": page, "unread_only": unread_only,
    })


@login_required
@require_POST
def notification_read_view(request, pk):
    notification = notifications.notification_get_for_user_or_404(user=request.user, pk=pk)
    notifications.notification_mark_read(actor=request.user, notification=notification)
    if is_partial(request) and not request.POST.get("next"):
        notifications.notifications_decorate([notification])
        return render(request, "activities/notification_list.html#notification-row", {
            "n": notification, "notification_badge": notifications.UnreadBadge(request.user), "oob_badge": True,
        })
    return redirect(_safe_next(request, reverse("activities:notifications")))


@login_required
@require_POST
def notification_read_all_view(request):
    count = notifications.notification_mark_all_read(actor=request.user)
    if count:
        messages.success(request, ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count,
        ) % {"count": count})
    return redirect("activities:notifications")


@login_required
@require_GET
def team_view(request):
    team = agenda.team_scope(user=request.user, team_id=request.GET.get("team"))
    period = agenda.period_from_params(request.GET)
    reps = team["reps"]
    coverage = paginate(agenda.visit_coverage(user=request.user, owner_ids=[r.pk for r in reps]), params=request.GET)
    agenda.visit_coverage_mark(coverage.rows)
    return render(request, "activities/team.html", {
        "nav": "team",
        **team,
        **period,
        "report": agenda.team_report(user=request.user, reps=reps, start=period["start"], end=period["end"]),
        "coverage": coverage,
        "params": request.GET,
        "date_min": DATE_MIN,
        "date_max": DATE_MAX,
    })

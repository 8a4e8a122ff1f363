"""What the reports app plugs into the layers below it (docs/architecture.md): the anomaly alerts
of `kehu daily` and the sentence such an alert reads as in the notification centre."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ANOMALY_KEY = "anomaly_alerts"
SOURCE_CELLS_KEY = "source_cells"


def notify_anomalies(*, now) -> int:
    """DOMAIN.md §7 anomalies of the month just ended — revenue anomalies and follow-up drops of
    one kind — each sent to the rep's managers (the active managers of the rep's team) once:
    (manager, "anomaly", fact) is unique with fact `revenue:<rep>:<YYYY-MM>` or
    `followups:<rep>:<kind>:<YYYY-MM>`, so running `kehu daily` again writes nothing. How many
    notifications were new. Four queries and the insert."""
    from django.urls import reverse

    from kehu.accounts.models import Team
    from kehu.activities.models import Notification
    from kehu.activities.notifications import notify_bulk
    from kehu.core.dates import add_months
    from kehu.reports.selectors.anomalies import _reps, followup_alerts, revenue_alerts

    month = add_months(timezone.localdate(now).replace(day=1), -1)
    label = f"{month:%Y-%m}"
    reps = [r for r in _reps(None) if r.team_id]  # a rep without a team alerts nobody
    revenue = revenue_alerts(month=month, reps=reps)
    followups = followup_alerts(month=month, reps=reps)
    if not revenue and not followups:
        return 0
    managers = {}
    for team in Team.objects.filter(pk__in={a.rep.team_id for a in [*revenue, *followups]}).prefetch_related("managers"):
        managers[team.pk] = [m for m in team.managers.all() if m.is_active]
    page = reverse("reports:anomalies")

    def told(rep):
        return [m for m in managers.get(rep.team_id, []) if m.pk != rep.pk]

    notifications = [
        Notification(user=manager, kind=Notification.Kind.ANOMALY, fact_key=f"revenue:{a.rep.pk}:{label}",
                     url=f"{page}?period={label}&rep={a.rep.pk}", params={
                         "rep": str(a.rep), "month": label, "revenue": str(a.anomaly.revenue), "median": str(a.anomaly.median),
                         "ratio": str(a.anomaly.ratio),
                     })
        for a in revenue for manager in told(a.rep)
    ] + [
        Notification(user=manager, kind=Notification.Kind.ANOMALY, fact_key=f"followups:{a.rep.pk}:{a.kind}:{label}",
                     url=f"{page}?period={label}&rep={a.rep.pk}", params={
                         "measure": "followups", "rep": str(a.rep), "kind": a.kind, "month": label, "count": a.drop.count,
                         "median": str(a.drop.median), "ratio": str(a.drop.ratio),
                     })
        for a in followups for manager in told(a.rep)
    ]
    return notify_bulk(notifications)


def _count(text) -> str:
    """A count or a median of counts as written: 8, 7.5."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return str(text)
    return str(int(value)) if value == value.to_integral_value() else str(value)


def render_followup_drop(p: dict) -> str:
    """"李芳: follow-ups of type “Visit” usually ~8 a month, 2026-06: 1"."""
    from kehu.activities.models import Activity

    kind = dict(Activity.Kind.choices).get(p.get("kind"), p.get("kind", ""))
    return _("%(rep)s: follow-ups of type “%(kind)s” usually ~%(median)s a month, %(month)s: %(count)s") % {
        "rep": p.get("rep", ""), "kind": kind, "median": _count(p.get("median", "0")), "month": p.get("month", ""),
        "count": _count(p.get("count", "0")),
    }


def render_anomaly(notification) -> str:
    """"李芳: usually ~¥100,000.00 a month, 2026-06 ¥8,000.00 (8.00% of usual)"."""
    from decimal import Decimal

    from kehu.core.money import format_money

    p = notification.params or {}
    if not p.get("rep"):  # not one of ours: read as any other kind (kehu.activities.notifications)
        kind = notification.get_kind_display()
        customer = notification.customer.name if notification.customer_id and notification.customer else ""
        return (_("%(kind)s: %(customer)s") % {"kind": kind, "customer": customer}) if customer else str(kind)
    if p.get("measure") == "followups":
        return render_followup_drop(p)
    try:
        ratio = f"{(Decimal(str(p.get('ratio', '0'))) * 100).quantize(Decimal('0.01'))}%"
    except (ArithmeticError, ValueError):
        ratio = ""
    return _("%(rep)s: usually ~%(median)s a month, %(month)s %(revenue)s (%(ratio)s of usual)") % {
        "rep": p.get("rep", ""), "median": format_money(p.get("median", "0")), "month": p.get("month", ""),
        "revenue": format_money(p.get("revenue", "0")), "ratio": ratio,
    }


def register() -> None:
    from kehu.activities.hooks import NOTIFICATION_RENDERERS
    from kehu.core.hooks import DailyStep, daily_step_register

    daily_step_register(DailyStep(ANOMALY_KEY, gettext_lazy("Anomalies (revenue, follow-ups): managers told"), notify_anomalies, order=60))
    from kehu.reports.source_cells import daily_source_cells

    # a safety net only — the triggers keep the lead-source summaries exact on every write
    daily_step_register(DailyStep(SOURCE_CELLS_KEY, gettext_lazy("Lead-source summaries checked: cells that differed"), daily_source_cells, order=57))
    NOTIFICATION_RENDERERS.register(render_anomaly, key="anomaly")

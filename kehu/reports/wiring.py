"""What the reports app plugs into the layers below it (docs/architecture.md): the anomaly alerts
of `kehu daily` and the sentence such an alert reads as in the notification centre."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ANOMALY_KEY = "anomaly_alerts"


def notify_anomalies(*, now) -> int:
    """DOMAIN.md §7 revenue anomalies of the month just ended, each sent to the rep's managers
    (the managers of the rep's team) once: (manager, "anomaly", revenue:<rep>:<month>) is unique,
    so running `kehu daily` again writes nothing. How many notifications were new."""
    from kehu.activities.models import Notification
    from kehu.activities.notifications import notify_bulk
    from kehu.core.dates import add_months
    from kehu.reports.selectors.anomalies import revenue_anomalies

    month = add_months(timezone.localdate(now).replace(day=1), -1)
    label = f"{month:%Y-%m}"
    alerts = revenue_anomalies(month=month)
    if not alerts:
        return 0
    from kehu.accounts.models import Team

    managers = {}
    for team in Team.objects.filter(pk__in={rep.team_id for rep, _a in alerts if rep.team_id}).prefetch_related("managers"):
        managers[team.pk] = [m for m in team.managers.all() if m.is_active]
    notifications = [
        Notification(user=manager, kind=Notification.Kind.ANOMALY, fact_key=f"revenue:{rep.pk}:{label}", params={
            "rep": str(rep), "month": label, "revenue": str(a.revenue), "median": str(a.median), "ratio": str(a.ratio),
        })
        for rep, a in alerts for manager in managers.get(rep.team_id, []) if manager.pk != rep.pk
    ]
    return notify_bulk(notifications)


def render_anomaly(notification) -> str:
    """"李芳: usually ~¥100,000.00 a month, 2026-06 ¥8,000.00 (8.00% of usual)"."""
    from decimal import Decimal

    from kehu.core.money import format_money

    p = notification.params or {}
    if not p.get("rep"):  # not one of ours: read as any other kind (kehu.activities.notifications)
        kind = notification.get_kind_display()
        customer = notification.customer.name if notification.customer_id and notification.customer else ""
        return (_("%(kind)s: %(customer)s") % {"kind": kind, "customer": customer}) if customer else str(kind)
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

    daily_step_register(DailyStep(ANOMALY_KEY, gettext_lazy("Revenue anomalies: managers told"), notify_anomalies, order=60))
    NOTIFICATION_RENDERERS.register(render_anomaly, key="anomaly")

"""The notification centre: creating notifications (never twice for one fact), reading them,
the reminder and alert steps of `kehu daily`, and the optional daily e-mail digest.

A notification stores facts (kind, customer, a few params), not sentences: its text is made
when it is shown, with gettext, so that each user reads it in their own language.

Steps of `kehu daily` (each `fn(*, now) -> int`, idempotent through the unique
(user, kind, fact_key) of Notification):

| key | fact_key | who is told |
| --- | --- | --- |
| followups_due | activity:<id>:due | the owner of a planned follow-up due today |
| followups_overdue | activity:<id>:overdue | its owner and the managers of the owner's team, once |
| visits_overdue | customer:<id>:visit:<date of last visit or "never"> | owner and managers, once per overdue spell |
| pool_notices | poolevent:<id> | the former owner (return) or the owner (warning) |
| digests | — (Notification.emailed_at) | each active user with an e-mail address, once per notification |

Approvals (sales, issue 5) and anomaly alerts (§7) add their own steps with
`kehu.core.hooks.daily_step_register(DailyStep(key, label, run, order=60…80))` — before the
digest (90) — create notifications with `notify()` / `notify_bulk()` and register how their
kind reads with `hooks.NOTIFICATION_RENDERERS.register(fn, key=kind)`.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kehu.accounts.models import Team, User
from kehu.activities import hooks
from kehu.activities.agenda import key_accounts_last_visits, local_day, visit_intervals, visit_is_overdue
from kehu.activities.models import Activity, Notification
from kehu.core.audit import audit_note_text
from kehu.core.hooks import DailyStep
from kehu.core.models import CompanySettings
from kehu.core.views import get_visible_or_404
from kehu.customers.models import Customer, PoolEvent
from kehu.customers.services.pool import pool_return_due_on

logger = logging.getLogger(__name__)

Kind = Notification.Kind
# How far back the daily steps look for facts, so that a first run (or an import of old
# history) does not flood everyone with notifications about the distant past.
OVERDUE_LOOKBACK_DAYS = 30
POOL_EVENT_LOOKBACK_DAYS = 7
DIGEST_LOOKBACK_DAYS = 7
DIGEST_LIMIT = 100  # notifications listed in one e-mail; the rest are counted
CHUNK = 500


# --- creating ------------------------------------------------------------------------------

def notify(*, user, kind: str, fact_key: str, customer=None, params=None, url: str = "") -> Notification | None:
    """Tell `user` about a fact once: the new notification, or None when this user already had
    one for (kind, fact_key) — whether read, unread or hidden."""
    notification, created = Notification.objects.get_or_create(
        user=user, kind=kind, fact_key=fact_key,
        defaults={"customer": customer, "params": params or {}, "url": url},
    )
    return notification if created else None


def notify_bulk(notifications: list[Notification]) -> int:
    """Insert the unsaved `notifications` whose (user, kind, fact_key) is new; how many were new.

    A few queries per CHUNK rows, whatever was notified before; a concurrent run inserting the
    same facts is absorbed by the unique constraint."""
    unique = {}
    for n in notifications:
        unique.setdefault((n.user_id, n.kind, n.fact_key), n)
    rows = list(unique.values())
    created = 0
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        existing = set(
            Notification.objects.filter(fact_key__in={n.fact_key for n in chunk}, kind__in={n.kind for n in chunk})
            .values_list("user_id", "kind", "fact_key")
        )
        new = [n for n in chunk if (n.user_id, n.kind, n.fact_key) not in existing]
        if new:
            Notification.objects.bulk_create(new, ignore_conflicts=True)
            created += len(new)
    return created


def _customer_url(customer_id: int) -> str:
    return reverse("customers:detail", kwargs={"pk": customer_id})


def _log_url(activity) -> str:
    """The form that logs the activity fulfilling a planned follow-up."""
    return reverse("activities:activity-log", kwargs={"pk": activity.customer_id}) + f"?fulfils={activity.pk}"


def _team_managers() -> dict[int, list[int]]:
    """team id -> ids of its active managers (one query)."""
    result = defaultdict(list)
    rows = Team.managers.through.objects.filter(user__is_active=True).values_list("team_id", "user_id")
    for team_id, user_id in rows:
        result[team_id].append(user_id)
    return result


def _owner_and_managers(owner_id, owner_team_id, owner_active, managers: dict) -> list[tuple[int, bool]]:
    """(user id, is a manager of the owner) for the owner (if active) and the owner's team managers."""
    people = [(owner_id, False)] if owner_active else []
    people += [(m, True) for m in managers.get(owner_team_id, []) if m != owner_id]
    return people


# --- `kehu daily` steps ---------------------------------------------------------------------

def _open_followups():
    return Activity.objects.planned().filter(customer__is_deleted=False).select_related("customer", "owner")


def _followup_params(activity) -> dict:
    return {
        "due_on": activity.due_on.isoformat(),
        "type": activity.kind,
        "summary": (activity.summary or "")[:200],
        "owner": str(activity.owner),
    }


def notify_followups_due(*, now=None) -> int:
    """The owner of each open planned follow-up due today (company time zone) is told once."""
    today = timezone.localdate(now or timezone.now())
    rows = [
        Notification(
            user_id=a.owner_id, kind=Kind.FOLLOWUP_DUE, fact_key=f"activity:{a.pk}:due", customer_id=a.customer_id,
            params=_followup_params(a), url=_log_url(a),
        )
        for a in _open_followups().filter(due_on=today, owner__is_active=True).iterator(chunk_size=CHUNK)
    ]
    return notify_bulk(rows)


def notify_followups_overdue(*, now=None) -> int:
    """Open planned follow-ups past their due date: the owner and the managers of the owner's
    team are told once (not every day it stays overdue). Looks back OVERDUE_LOOKBACK_DAYS."""
    today = timezone.localdate(now or timezone.now())
    managers = _team_managers()
    qs = _open_followups().filter(due_on__lt=today, due_on__gte=today - timedelta(days=OVERDUE_LOOKBACK_DAYS))
    rows = []
    for a in qs.iterator(chunk_size=CHUNK):
        params = _followup_params(a)
        for user_id, is_manager in _owner_and_managers(a.owner_id, a.owner.team_id, a.owner.is_active, managers):
            rows.append(Notification(
                user_id=user_id, kind=Kind.FOLLOWUP_OVERDUE, fact_key=f"activity:{a.pk}:overdue", customer_id=a.customer_id,
                params={**params, "for_manager": is_manager},
                url=_customer_url(a.customer_id) if is_manager else _log_url(a),
            ))
    return notify_bulk(rows)


def notify_visits_overdue(*, now=None) -> int:
    """Key accounts whose last logged visit (or, never visited, the start of the current
    ownership) is older than their visit interval: the owner and the managers of the owner's
    team are told once per overdue spell — the fact names the last visit's date, so a visit
    ends the spell and the next spell is told again."""
    conf = CompanySettings.load()
    today = timezone.localdate(now or timezone.now())
    accounts = list(
        key_accounts_last_visits(Customer.objects.filter(is_key_account=True, is_deleted=False, owner__isnull=False))
        .annotate(since=Coalesce("owned_since", "created_at"))
        .select_related("owner")
        .only("id", "name", "owner_id", "owned_since", "created_at", "owner__team_id", "owner__is_active", "owner__username", "owner__name")
    )
    intervals = visit_intervals(customer_ids=[c.pk for c in accounts], conf=conf)
    managers = _team_managers()
    rows = []
    for c in accounts:
        last = local_day(c.last_visit) if c.last_visit else None
        interval = intervals.get(c.pk)
        if not visit_is_overdue(last=last, since=local_day(c.since), interval=interval, today=today):
            continue
        params = {"last_visit": last.isoformat() if last else "", "interval": interval, "owner": str(c.owner)}
        fact = f"customer:{c.pk}:visit:{last.isoformat() if last else 'never'}"
        for user_id, is_manager in _owner_and_managers(c.owner_id, c.owner.team_id, c.owner.is_active, managers):
            rows.append(Notification(
                user_id=user_id, kind=Kind.VISIT_OVERDUE, fact_key=fact, customer_id=c.pk,
                params={**params, "for_manager": is_manager}, url=_customer_url(c.pk),
            ))
    return notify_bulk(rows)


def notify_pool_events(*, now=None) -> int:
    """Automatic returns tell the former owner, return warnings the owner (PoolEvent.user), once
    per event; events of the last POOL_EVENT_LOOKBACK_DAYS days (today's included: this step
    runs after the pool steps)."""
    conf = CompanySettings.load()
    today = timezone.localdate(now or timezone.now())
    events = (
        PoolEvent.objects.filter(
            kind__in=[PoolEvent.Kind.RETURN, PoolEvent.Kind.WARNING], on_date__gte=today - timedelta(days=POOL_EVENT_LOOKBACK_DAYS),
            on_date__lte=today, user__is_active=True, customer__is_deleted=False,
        )
        .select_related("customer")
        .annotate(clock=Coalesce("customer__pool_clock_at", "customer__owned_since", "customer__created_at"))
    )
    rows = []
    for e in events.iterator(chunk_size=CHUNK):
        if e.kind == PoolEvent.Kind.RETURN:
            kind, params = Kind.POOL_RETURN, {"on": e.on_date.isoformat(), "reason": e.reason}
        else:
            due = pool_return_due_on(e.clock, return_days=conf.pool_return_days) if conf.pool_return_days else e.on_date
            kind, params = Kind.POOL_WARNING, {"on": max(due, e.on_date).isoformat(), "reason": e.reason}
        rows.append(Notification(
            user_id=e.user_id, kind=kind, fact_key=f"poolevent:{e.pk}", customer_id=e.customer_id, params=params,
            url=_customer_url(e.customer_id),
        ))
    return notify_bulk(rows)


# --- reading ----------------------------------------------------------------------------------

def _date(value) -> str:
    return value or "—"


def notification_message(n: Notification) -> str:
    """The sentence a notification reads as, in the active language."""
    p = n.params or {}
    customer = n.customer.name if n.customer_id and n.customer else ""
    renderer = hooks.NOTIFICATION_RENDERERS.get(n.kind)
    if renderer is not None:
        return renderer(n)
    if n.kind == Kind.FOLLOWUP_DUE:
        return _("Follow-up with %(customer)s is due today: %(summary)s") % {
            "customer": customer, "summary": p.get("summary") or dict(Activity.Kind.choices).get(p.get("type"), ""),
        }
    if n.kind == Kind.FOLLOWUP_OVERDUE:
        values = {"customer": customer, "date": _date(p.get("due_on")), "owner": p.get("owner", "")}
        if p.get("for_manager"):
            return _("%(owner)s missed a follow-up with %(customer)s due on %(date)s") % values
        return _("Your follow-up with %(customer)s was due on %(date)s and is overdue") % values
    if n.kind == Kind.VISIT_OVERDUE:
        values = {"customer": customer, "date": p.get("last_visit"), "days": p.get("interval") or 0, "owner": p.get("owner", "")}
        if p.get("last_visit"):
            text = _("Key account %(customer)s: last visit on %(date)s, the interval is %(days)d days") % values
        else:
            text = _("Key account %(customer)s has not been visited; the interval is %(days)d days") % values
        if p.get("for_manager"):
            text += " " + (_("(owner: %(owner)s)") % values)
        return text
    if n.kind == Kind.FORECAST_REMINDER:
        return _("Your weekly forecast is due by %(date)s: update your opportunities and submit your commit") % {"date": _date(p.get("cutoff"))}
    if n.kind == Kind.POOL_RETURN:
        return _("%(customer)s went back to the public pool on %(date)s") % {"customer": customer, "date": _date(p.get("on"))}
    if n.kind == Kind.POOL_WARNING:
        return _("%(customer)s goes back to the public pool on %(date)s unless you follow up") % {
            "customer": customer, "date": _date(p.get("on")),
        }
    return (_("%(kind)s: %(customer)s") % {"kind": n.get_kind_display(), "customer": customer}) if customer else str(n.get_kind_display())


def notification_detail(n: Notification) -> str:
    """A second line, when the fact has one (the reason a customer went back to the pool)."""
    if n.kind in (Kind.POOL_RETURN, Kind.POOL_WARNING):
        return audit_note_text((n.params or {}).get("reason", ""))
    return ""


def notification_list(*, user, unread_only: bool = False):
    """`user`'s notifications, newest first (the unread marked on the page), without those about
    customers they no longer see."""
    qs = Notification.objects.for_user(user).select_related("customer").only(
        "id", "kind", "fact_key", "params", "url", "created_at", "read_at", "customer_id", "customer__name", "customer__code",
    )
    if unread_only:
        qs = qs.unread()
    return qs.order_by("-created_at", "-id")


def notifications_decorate(rows) -> None:
    for n in rows:
        n.message = notification_message(n)
        n.detail = notification_detail(n)


def notification_get_for_user_or_404(*, user, pk) -> Notification:
    return get_visible_or_404(Notification.objects.for_user(user).select_related("customer"), pk=pk)


UNREAD_CAP = 99


def header_count_unread(user):
    """The rows the bell counts (kehu.core.context_processors.HEADER_COUNTS)."""
    return Notification.objects.for_user(user).unread().order_by()[: UNREAD_CAP + 1]


def header_count_approvals(user):
    """The quotes the Sales menu's badge counts (as sales' pending_approvals_count)."""
    from kehu.sales.selectors import quote_approval_queue
    from kehu.sales.templatetags.deals_panel import APPROVALS_CAP

    return quote_approval_queue(user=user).order_by()[:APPROVALS_CAP]


class UnreadBadge:
    """The header's unread count, counted (one query, at most UNREAD_CAP + 1 rows) only when a
    template shows it."""

    def __init__(self, user, badges=None):
        self.user = user
        self.badges = badges  # the request's header counts (activities.context_processors.HeaderBadges)
        self._count = None

    @property
    def count(self) -> int:
        if self._count is None and self.badges is not None:
            self._count = self.badges.count("unread")
        if self._count is None:
            self._count = Notification.objects.for_user(self.user).unread().order_by()[: UNREAD_CAP + 1].count()
        return self._count

    @property
    def label(self) -> str:
        return f"{UNREAD_CAP}+" if self.count > UNREAD_CAP else str(self.count)


# --- marking read -------------------------------------------------------------------------------

def notification_mark_read(*, actor, notification: Notification, now=None) -> Notification:
    """Mark one of `actor`'s notifications read (reading is personal: nobody marks another's)."""
    if notification.user_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notification_mark_all_read(*, actor, now=None) -> int:
    """Mark every unread notification `actor` can see read; how many."""
    return Notification.objects.for_user(actor).unread().update(read_at=now or timezone.now())


# --- the daily e-mail digest ---------------------------------------------------------------------

def _site_url() -> str:
    return (getattr(settings, "KEHU_SITE_URL", "") or "").rstrip("/")


def _digest_since():
    """Notifications older than this are never e-mailed (switching the digest on does not mail
    the past). Real time, like Notification.created_at, whatever `--now` says."""
    return timezone.now() - timedelta(days=DIGEST_LOOKBACK_DAYS)


def digest_send(*, user, now=None) -> bool:
    """E-mail `user` their unread notifications not yet e-mailed (created in the last
    DIGEST_LOOKBACK_DAYS days), in their language; mark them e-mailed. False when there is
    nothing to send or sending failed (they are tried again next time)."""
    now = now or timezone.now()
    pending = notification_list(user=user, unread_only=True).filter(emailed_at__isnull=True, created_at__gte=_digest_since())
    ids = list(pending.values_list("id", flat=True))
    if not ids:
        return False
    rows = list(pending.filter(id__in=ids[:DIGEST_LIMIT]))
    site = _site_url()
    with translation.override(user.language or settings.LANGUAGE_CODE):
        notifications_decorate(rows)
        for n in rows:
            n.link = f"{site}{n.url}" if n.url else ""
        subject = ngettext(
            "Kehu: %(count)d new notification", "Kehu: %(count)d new notifications", len(ids),
        ) % {"count": len(ids)}
        body = render_to_string("activities/notification_digest.txt", {
            "user": user, "rows": rows, "more": len(ids) - len(rows),
            "centre": f"{site}{reverse('activities:notifications')}",
        })
    try:
        send_mail(subject, body, None, [user.email], fail_silently=False)
    except Exception:  # an unreachable mail server must not stop `kehu daily`
        logger.exception("daily digest to user %s failed", user.pk)
        return False
    Notification.objects.filter(id__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    return True


def send_digests(*, now=None) -> int:
    """When CompanySettings.send_daily_digest: one digest e-mail per active user with an e-mail
    address and something new; how many e-mails were sent. Each notification is e-mailed once."""
    if not CompanySettings.load().send_daily_digest:
        return 0
    now = now or timezone.now()
    waiting = Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True, created_at__gte=_digest_since()).values("user_id")
    users = User.objects.filter(is_active=True, pk__in=waiting).exclude(email="").order_by("pk")
    return sum(1 for user in users if digest_send(user=user, now=now))


# --- the steps of `kehu daily` (registered by activities.wiring) ---------------------------------
# Reminders and alerts run after the pool steps (20, 30: pool_notices reads today's returns and
# warnings); later apps' steps (approvals, anomaly alerts) take orders 60–80; the digest runs
# last, so that whatever was notified is e-mailed the same day.

DIGEST_KEY = "digests"
DAILY_STEPS = [
    DailyStep("followups_due", gettext_lazy("Follow-ups due today: owners told"), notify_followups_due, order=50),
    DailyStep("followups_overdue", gettext_lazy("Overdue follow-ups: owners and managers told"), notify_followups_overdue, order=51),
    DailyStep("visits_overdue", gettext_lazy("Key accounts past their visit interval: owners and managers told"), notify_visits_overdue, order=52),
    DailyStep("pool_notices", gettext_lazy("Pool returns and warnings: owners told"), notify_pool_events, order=53),
    DailyStep(DIGEST_KEY, gettext_lazy("Daily digests e-mailed"), send_digests, order=90),
]

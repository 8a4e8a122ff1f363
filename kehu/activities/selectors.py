"""Reads of activities for the customer page: the timeline, the open planned follow-ups.

Every read starts from `Activity.objects.visible_to(user)` (the customer decides, not the
author) and owns its select_related; the timeline runs a fixed number of queries whatever
its length (pinned in tests/test_timeline.py). The agenda, calendar and team reads are in
`agenda.py`.
"""

from datetime import datetime, time

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.activities import hooks
from kehu.activities.hooks import TimelineEntry
from kehu.activities.models import Activity
from kehu.activities.permissions import can_change_activity, can_log_activity
from kehu.core.audit import audit_note_text
from kehu.core.models import AuditEvent
from kehu.core.views import get_visible_or_404
from kehu.customers.models import Customer, PoolEvent

TIMELINE_LIMIT = 50
KIND_ICONS = {
    Activity.Kind.PHONE: "📞",
    Activity.Kind.VISIT: "🤝",
    Activity.Kind.MEETING: "👥",
    Activity.Kind.EMAIL: "✉️",
    Activity.Kind.WECHAT: "💬",
    Activity.Kind.OTHER: "📝",
}
POOL_KINDS = [PoolEvent.Kind.CLAIM, PoolEvent.Kind.RELEASE, PoolEvent.Kind.RETURN]


def activity_for_customer_or_404(*, user, customer: Customer, pk) -> Activity:
    """An activity of `customer` (already fetched through the visibility scope); 404 when
    it is not one of this customer's, or `user` may not see it."""
    activity = get_visible_or_404(
        Activity.objects.visible_to(user).filter(customer_id=customer.pk).select_related("contact", "owner", "completed_by"), pk=pk,
    )
    activity.customer = customer
    return activity


PAGE_READ = 30  # the customer page's timeline shows 30 entries (kehu.activities.views.records.PANEL_LIMIT)
DONE_OR_CANCELLED = Q(status=Activity.Status.DONE, at__isnull=False) | Q(status=Activity.Status.CANCELLED)


def _page_activities(*, customer: Customer, user, limit: int) -> tuple[list[Activity], list[Activity]] | None:
    """On the customer page (its `page_memo`): (the open planned follow-ups, soonest due first;
    the latest `limit` logged activities and cancelled plans, newest first) in ONE query, shared
    by the planned list and the timeline; None elsewhere or when `limit` exceeds what was read."""
    from kehu.customers.selectors import page_memo

    memo = page_memo(customer)
    if memo is None:
        return None
    cached = memo.get("activities.page")
    if cached is None or cached[0] != user.pk:
        read = max(limit, PAGE_READ)
        scoped = Activity.objects.visible_to(user).filter(customer_id=customer.pk)
        latest = (scoped.filter(DONE_OR_CANCELLED).annotate(moment=Coalesce("at", "closed_at", "updated_at"))
                  .order_by("-moment", "-id").values("pk")[:read])
        rows = list(
            scoped.filter(Q(status=Activity.Status.PLANNED) | Q(pk__in=latest))
            .select_related("contact", "owner", "fulfils").annotate(moment=Coalesce("at", "closed_at", "updated_at"))
        )
        planned = sorted((a for a in rows if a.status == Activity.Status.PLANNED), key=lambda a: (a.due_on, a.pk))
        done = sorted((a for a in rows if a.status != Activity.Status.PLANNED), key=lambda a: (a.moment, a.pk), reverse=True)
        cached = memo["activities.page"] = (user.pk, read, planned, done)
    _user, read, planned, done = cached
    if limit > read:
        return None
    return planned, done[:limit]


def planned_open(*, customer: Customer, user) -> list[Activity]:
    """The customer's open planned follow-ups, soonest due first, each with `state`
    (overdue / today / upcoming) and `can_change`."""
    today = timezone.localdate()
    shared = _page_activities(customer=customer, user=user, limit=PAGE_READ)
    rows = list(shared[0]) if shared is not None else list(
        Activity.objects.visible_to(user).filter(customer_id=customer.pk, status=Activity.Status.PLANNED)
        .select_related("contact", "owner").order_by("due_on", "id")
    )
    may_log = can_log_activity(user, customer)
    for row in rows:
        row.customer = customer
        row.state = "overdue" if row.due_on < today else ("today" if row.due_on == today else "upcoming")
        row.can_change = may_log
    return rows


def fulfils_default(planned: list[Activity]) -> Activity | None:
    """The planned follow-up a new log most likely fulfils: the oldest one due today or earlier."""
    today = timezone.localdate()
    due = [p for p in planned if p.due_on <= today]
    return due[0] if due else None


# --- the timeline ----------------------------------------------------------------------------

def _end_of_day(day) -> datetime:
    """The last second of `day` (where a planned follow-up sits on the timeline); no arithmetic,
    so that a due date stored at 9999-12-31 or 0001-01-01 places as well as any other."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def moment_text(at) -> str:
    """A timeline moment as the page shows it (company time, "2026-12-06 14:30"). A moment
    stored at the very edge of what Python holds has no local time: it shows as stored (UTC)."""
    if at is None:
        return ""
    try:
        local = timezone.localtime(at) if timezone.is_aware(at) else at
    except OverflowError:
        local = at
    return dateformat.format(local, "Y-m-d H:i")


def _name(user) -> str:
    return str(user) if user is not None else _("System")


def _kind_label(activity: Activity) -> str:
    if activity.kind == Activity.Kind.VISIT and activity.visit_level:
        return _("%(kind)s · %(level)s") % {"kind": activity.get_kind_display(), "level": activity.get_visit_level_display()}
    return str(activity.get_kind_display())


STATE_BADGES = {
    "overdue": (lambda: _("Overdue"), "text-bg-danger"),
    "today": (lambda: _("Due today"), "text-bg-warning"),
    "upcoming": (lambda: _("Upcoming"), "text-bg-info"),
}


def _planned_entries(planned: list[Activity]) -> list[TimelineEntry]:
    entries = []
    for plan in planned:
        badge, css = STATE_BADGES[plan.state]
        extra = [_("Due %(date)s") % {"date": plan.due_on.isoformat()}]
        if plan.contact_id:
            extra.append(_("Contact: %(name)s") % {"name": plan.contact.name})
        entries.append(TimelineEntry(
            at=_end_of_day(plan.due_on), kind="planned", icon="⏰",
            label=_("Planned: %(kind)s") % {"kind": _kind_label(plan)}, text=plan.summary,
            by=_name(plan.owner), badge=badge(), badge_class=css, extra=extra, obj=plan,
        ))
    return entries


def _activity_entries(*, customer, user, limit) -> list[TimelineEntry]:
    """Logged activities and cancelled plans (fulfilled plans show on the log that fulfilled them)."""
    shared = _page_activities(customer=customer, user=user, limit=limit)  # on the customer page: with the planned ones
    rows = shared[1] if shared is not None else (
        Activity.objects.visible_to(user).filter(customer_id=customer.pk)
        .filter(DONE_OR_CANCELLED)
        .select_related("contact", "owner", "fulfils")
        .annotate(moment=Coalesce("at", "closed_at", "updated_at"))
        .order_by("-moment", "-id")[:limit]
    )
    entries = []
    for a in rows:
        a.customer = customer
        if a.status == Activity.Status.CANCELLED:
            entries.append(TimelineEntry(
                at=a.moment, kind="cancelled", icon="✖",
                label=_("Planned %(kind)s cancelled") % {"kind": _kind_label(a)}, text=audit_note_text(a.cancel_reason),
                by=_name(a.owner), badge=_("Cancelled"), extra=[_("Was due %(date)s") % {"date": a.due_on.isoformat()}] if a.due_on else [],
            ))
            continue
        extra = []
        if a.contact_id:
            extra.append(_("Contact: %(name)s") % {"name": a.contact.name})
        if a.outcome:
            extra.append(_("Outcome: %(text)s") % {"text": a.outcome})
        fulfilled = getattr(a, "fulfils", None)
        if fulfilled is not None and fulfilled.due_on:
            extra.append(_("Fulfils the follow-up due %(date)s") % {"date": fulfilled.due_on.isoformat()})
        a.can_change = can_change_activity(user, a)
        entries.append(TimelineEntry(
            at=a.at, kind="activity", icon=KIND_ICONS.get(a.kind, "📝"), label=_kind_label(a), text=a.summary,
            by=_name(a.owner), extra=extra, obj=a,
        ))
    return entries


def _stage_label(code) -> str:
    return str(Customer.Stage(code).label) if code in Customer.Stage.values else str(code or "—")


def _history_entries(*, customer, limit) -> list[TimelineEntry]:
    """Stage changes, handovers and merges, from the customer's audit events. On the customer
    page, picked from the latest events its history panel reads anyway (one query for both) when
    those hold `limit` of them or are all the customer has; else read apart."""
    from kehu.customers.selectors import customer_recent_events, page_memo

    events, complete = [], False
    if page_memo(customer) is not None:  # on the customer page: the history panel's read
        recent, complete = customer_recent_events(customer=customer)
        events = [e for e in recent if e.verb in (AuditEvent.Verb.HANDOVER, AuditEvent.Verb.MERGE)
                  or (e.object_type == "customer" and isinstance(e.changes, dict) and "stage" in e.changes)][:limit]
    if len(events) < limit and not complete:
        events = list(
            AuditEvent.objects.filter(customer_id=customer.pk)
            .filter(Q(verb__in=[AuditEvent.Verb.HANDOVER, AuditEvent.Verb.MERGE]) | Q(object_type="customer", changes__has_key="stage"))
            .select_related("actor").order_by("-at", "-id")[:limit]
        )
    user_ids = set()
    for e in events:
        if e.verb == AuditEvent.Verb.HANDOVER:
            user_ids.update(v for v in (e.changes or {}).get("owner", []) if isinstance(v, int))
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    entries = []
    for e in events:
        changes = e.changes or {}
        if e.verb == AuditEvent.Verb.HANDOVER:
            old, new = (list(changes.get("owner", [])) + [None, None])[:2]
            entries.append(TimelineEntry(
                at=e.at, kind="handover", icon="🔁", label=_("Handed over"),
                text=_("%(from)s → %(to)s") % {"from": names.get(old, "—"), "to": names.get(new, "—")},
                by=_name(e.actor), extra=[audit_note_text(e.note)] if e.note else [],
            ))
        elif e.verb == AuditEvent.Verb.MERGE:
            entries.append(TimelineEntry(at=e.at, kind="merge", icon="🔗", label=_("Records merged"), text=audit_note_text(e.note), by=_name(e.actor)))
        else:
            old, new = (list(changes.get("stage") or []) + [None, None])[:2] if isinstance(changes.get("stage"), list) else (None, changes.get("stage"))
            if e.verb == AuditEvent.Verb.CREATE:
                label = _("Customer created")
            elif e.verb == AuditEvent.Verb.IMPORT and not old:
                label = _("Imported")
            else:
                label = _("Stage changed")
            text = _("%(old)s → %(new)s") % {"old": _stage_label(old), "new": _stage_label(new)} if old else _("Stage: %(stage)s") % {"stage": _stage_label(new)}
            entries.append(TimelineEntry(at=e.at, kind="stage", icon="📈", label=label, text=text, by=_name(e.actor)))
    return entries


POOL_LABELS = {
    PoolEvent.Kind.CLAIM: (lambda: _("Claimed from the pool"), "🙋"),
    PoolEvent.Kind.RELEASE: (lambda: _("Released to the pool"), "↩️"),
    PoolEvent.Kind.RETURN: (lambda: _("Returned to the pool automatically"), "⏳"),
}


def _pool_entries(*, customer, limit) -> list[TimelineEntry]:
    from kehu.customers.selectors import POOL_EVENTS_READ, page_memo

    rows = getattr(customer, "recent_pool_events", None)  # on the customer page: read with the customer
    if rows is None or page_memo(customer) is None or limit > POOL_EVENTS_READ:
        rows = PoolEvent.objects.filter(customer_id=customer.pk, kind__in=POOL_KINDS).select_related("user").order_by("-at", "-id")[:limit]
    else:
        rows = rows[:limit]
    entries = []
    for p in rows:
        label, icon = POOL_LABELS[p.kind]
        if p.kind == PoolEvent.Kind.CLAIM:
            entries.append(TimelineEntry(at=p.at, kind="pool", icon=icon, label=label(), by=_name(p.user)))
        else:
            extra = [_("Previous owner: %(name)s") % {"name": _name(p.user)}] if p.kind == PoolEvent.Kind.RETURN else []
            entries.append(TimelineEntry(
                at=p.at, kind="pool", icon=icon, label=label(), text=audit_note_text(p.reason),
                by=_name(p.user) if p.kind == PoolEvent.Kind.RELEASE else _("System"), extra=extra,
            ))
    return entries


def customer_timeline(*, customer: Customer, user, limit: int = TIMELINE_LIMIT, planned: list[Activity] | None = None) -> list[TimelineEntry]:
    """One timeline of `customer` as `user` may read it, newest first: open planned follow-ups
    (placed at the end of their due day, so the upcoming ones lead), logged activities,
    cancelled plans, stage changes, pool claims / releases / returns, handovers, merges, and
    whatever later apps add through hooks.TIMELINE_SOURCES. At most `limit` entries.

    `customer` must come from the visibility scope (customer_get_visible_or_404); `planned`
    may pass the customer's `planned_open` list when the caller already has it.
    """
    if planned is None:
        planned = planned_open(customer=customer, user=user)
    entries = _planned_entries(planned[:limit])
    entries += _activity_entries(customer=customer, user=user, limit=limit)
    entries += _history_entries(customer=customer, limit=limit)
    entries += _pool_entries(customer=customer, limit=limit)
    for source in hooks.TIMELINE_SOURCES:
        entries += source(customer=customer, user=user, limit=limit)
    entries.sort(key=lambda e: e.at, reverse=True)
    entries = entries[:limit]
    for entry in entries:
        entry.when = moment_text(entry.at)
    return entries

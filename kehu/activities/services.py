"""Writes on activities: log a follow-up, plan one, cancel, edit, delete (DOMAIN.md §6).

Every write runs in one transaction, locks the customer row (logging moves its pool clock,
and the nightly return to the pool must not race with it), checks the right to act on the
locked row and writes an audit event about the customer. Views, the importer and any
later API call these functions, so a rule lives here once.

Rules chosen where DOMAIN.md is silent (docs/rules.md, "Follow-up"):
- who logs: the owner of the customer, the owner's managers, an admin — never finance, and
  nobody on a customer in the public pool (claim it first);
- a visit has a level (leadership, technical, business); other kinds have none;
- the time of a logged activity may be in the past, not in the future (5 minutes of clock
  skew allowed); a planned follow-up is due today or later;
- logging moves the customer's last follow-up and its pool clock forward to the activity's
  time (never backwards) and clears the "returning soon" warning;
- the author edits or deletes a logged activity for 7 days; the customer's managers and
  admins at any time. Planned follow-ups are rescheduled or cancelled (with a reason) by
  whoever may log on the customer, never deleted. History stays in the audit events.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.accounts import permissions
from kehu.activities.errors import ActivityError
from kehu.activities.models import Activity
from kehu.activities.permissions import activity_change_problem, can_log_activity
from kehu.activities.summaries import activity_months_refresh, cell_of
from kehu.core.audit import audit_note, audit_record, typed_note
from kehu.core.dates import DATE_MAX, DATE_MIN, in_range
from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer

CLOCK_SKEW = timedelta(minutes=5)
# System notes, stored as keys (kehu.core.audit.audit_note) and read in each reader's language;
# NOTE_LOGGED's kind is put into words by note_logged_text (registered in wiring).
NOTE_LOGGED = gettext_noop("Follow-up logged: %(kind)s")
NOTE_PLANNED = gettext_noop("Follow-up planned for %(date)s")
NOTE_BACK_TO_POOL = gettext_noop("The customer went back to the pool.")
# What a form, the API or the importer may change on each shape of activity.
LOGGED_EDITABLE = ("kind", "visit_level", "contact", "opportunity", "at", "summary", "outcome")
PLANNED_EDITABLE = ("kind", "visit_level", "contact", "opportunity", "due_on", "summary")


def note_logged_text(params: dict) -> str:
    """kehu.core.audit.AUDIT_NOTES renderer of NOTE_LOGGED: the kind by its label."""
    kind = params.get("kind")
    label = Activity.Kind(kind).label if kind in Activity.Kind.values else kind or ""
    return _(NOTE_LOGGED) % {"kind": label}


# --- validation shared by the writes -------------------------------------------------------

def _clean_kind(kind: str, visit_level: str, *, planned: bool = False) -> tuple[str, str]:
    if kind not in Activity.Kind.values:
        raise ActivityError(_("Choose the type of follow-up."), "kind")
    visit_level = visit_level or ""
    if visit_level and visit_level not in Activity.VisitLevel.values:
        raise ActivityError(_("Unknown visit level."), "visit_level")
    if kind == Activity.Kind.VISIT:
        if not visit_level and not planned:
            raise ActivityError(_("Say at which level the visit was: leadership, technical or business."), "visit_level")
    elif visit_level:
        raise ActivityError(_("Only visits have a level; leave it empty for other types."), "visit_level")
    return kind, visit_level


def _out_of_range() -> str:
    """The message of a date outside what Kehu accepts (kehu.core.dates, the same as the forms')."""
    return _("Enter a date between %(min)s and %(max)s.") % {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()}


def _clean_at(at, *, now) -> datetime:
    if at is None:
        raise ActivityError(_("Say when it happened."), "at")
    if not in_range(at.date()):
        raise ActivityError(_out_of_range(), "at")
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_SKEW:
        raise ActivityError(_("A follow-up is logged after it happened; the time cannot be in the future."), "at")
    return at


def _clean_due(due_on, *, now, field: str) -> date:
    if due_on is None:
        raise ActivityError(_("Give the due date of the follow-up."), field)
    if not in_range(due_on):
        raise ActivityError(_out_of_range(), field)
    if due_on < timezone.localdate(now):
        raise ActivityError(_("A planned follow-up cannot be due in the past."), field)
    return due_on


def _clean_contact(contact, customer) -> Contact | None:
    if contact is None:
        return None
    if contact.customer_id != customer.pk or contact.is_deleted:
        raise ActivityError(_("This contact does not belong to the customer."), "contact")
    return contact


def _clean_opportunity(opportunity, customer):
    """An activity may name one opportunity, of its own customer."""
    if opportunity is None:
        return None
    if opportunity.customer_id != customer.pk:
        raise ActivityError(_("This opportunity belongs to another customer."), "opportunity")
    return opportunity


def _lock_customer(*, actor, customer) -> Customer:
    """The customer row, locked, after checking that `actor` may log on it."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_deleted:
        raise PermissionDenied
    if customer.owner_id is None and permissions.is_sales(actor):
        raise ActivityError(_("This customer is in the public pool. Claim it before logging follow-ups."))
    if not can_log_activity(actor, customer):
        raise PermissionDenied
    return customer


def _clock_of(customer: Customer):
    """The pool clock as `kehu daily` reads it (pool_clock_at, else ownership start, else creation)."""
    return customer.pool_clock_at or customer.owned_since or customer.created_at


def _clock_forward(customer: Customer, at: datetime) -> None:
    """A follow-up at `at`: the last follow-up and the pool clock move forward to it, never back."""
    fields = {}
    if customer.last_followup_at is None or at > customer.last_followup_at:
        fields["last_followup_at"] = customer.last_followup_at = at
    if customer.owner_id is not None and at > _clock_of(customer):
        fields["pool_clock_at"] = customer.pool_clock_at = at
        fields["return_warned_at"] = customer.return_warned_at = None
    if fields:
        Customer.objects.filter(pk=customer.pk).update(**fields, updated_at=timezone.now())


def _clock_refresh(customer: Customer) -> None:
    """After an activity's time changed or it was deleted: the last follow-up is the latest
    remaining one, and the pool clock the later of it and the start of the ownership."""
    last = Activity.objects.filter(customer=customer, status=Activity.Status.DONE, at__isnull=False).aggregate(last=Max("at"))["last"]
    fields = {}
    if last != customer.last_followup_at:
        fields["last_followup_at"] = customer.last_followup_at = last
    if customer.owner_id is not None:
        starts = [t for t in (customer.owned_since, last) if t is not None]
        clock = max(starts) if starts else customer.pool_clock_at
        if clock != customer.pool_clock_at:
            if customer.pool_clock_at is None or (clock is not None and clock > customer.pool_clock_at):
                fields["return_warned_at"] = customer.return_warned_at = None
            fields["pool_clock_at"] = customer.pool_clock_at = clock
    if fields:
        Customer.objects.filter(pk=customer.pk).update(**fields, updated_at=timezone.now())


def _plain(activity: Activity, names) -> dict:
    values = {}
    for name in names:
        value = getattr(activity, "contact_id" if name == "contact" else name)
        if name == "opportunity":
            value = value.code if value is not None else None  # the history shows it as written
        elif isinstance(value, datetime):
            value = timezone.localtime(value).isoformat(timespec="minutes")
        elif isinstance(value, date):
            value = value.isoformat()
        values[name] = value
    return values


def _created(activity: Activity, names) -> dict:
    return {k: [None, v] for k, v in _plain(activity, names).items() if v not in (None, "")}


# --- writes ------------------------------------------------------------------------------

def activity_log(
    *, actor, customer: Customer, kind: str, at: datetime, summary: str, outcome: str = "", contact=None,
    visit_level: str = "", next_due_on: date | None = None, next_kind: str | None = None, next_summary: str = "",
    fulfils: Activity | None = None, opportunity=None, now=None,
) -> Activity:
    """Log a done follow-up, optionally fulfilling an open planned one of the customer and
    planning the next (owned by the customer's owner). The customer's last follow-up and
    pool clock move forward to `at`. `opportunity` (optional) must be the customer's; the
    planned next follow-up names it too."""
    now = now or timezone.now()
    kind, visit_level = _clean_kind(kind, visit_level)
    at = _clean_at(at, now=now)
    summary = (summary or "").strip()
    if not summary:
        raise ActivityError(_("Write what was discussed."), "summary")
    outcome = (outcome or "").strip()
    if next_due_on is not None:
        _clean_due(next_due_on, now=now, field="next_due_on")
        next_kind, _level = _clean_kind(next_kind or kind, "", planned=True)
    with transaction.atomic():
        customer = _lock_customer(actor=actor, customer=customer)
        contact = _clean_contact(contact, customer)
        opportunity = _clean_opportunity(opportunity, customer)
        plan = None
        if fulfils is not None:
            plan = Activity.objects.select_for_update().filter(pk=fulfils.pk, customer=customer).first()
            if plan is None or plan.status != Activity.Status.PLANNED:
                raise ActivityError(_("That planned follow-up is no longer open."), "fulfils")
        activity = Activity.objects.create(
            customer=customer, contact=contact, opportunity=opportunity, owner=actor, created_by=actor, kind=kind,
            visit_level=visit_level, status=Activity.Status.DONE, at=at, summary=summary, outcome=outcome,
        )
        changes = _created(activity, ("kind", "visit_level", "contact", "opportunity", "at", "summary", "outcome"))
        if plan is not None:
            plan.status = Activity.Status.DONE
            plan.completed_by = activity
            plan.closed_at = now
            plan.save(update_fields=["status", "completed_by", "closed_at", "updated_at"])
            changes["fulfils"] = [None, plan.due_on.isoformat()]
        if next_due_on is not None:
            Activity.objects.create(
                customer=customer, contact=contact, opportunity=opportunity, owner_id=customer.owner_id, created_by=actor, kind=next_kind,
                status=Activity.Status.PLANNED, due_on=next_due_on, summary=(next_summary or "").strip(), planned_by=activity,
            )
            changes["next_due_on"] = [None, next_due_on.isoformat()]
        _clock_forward(customer, at)
        activity_months_refresh(cells=[cell_of(activity)])
        audit_record(
            actor=actor, verb=AuditEvent.Verb.CREATE, obj=activity, customer=customer, changes=changes,
            note=audit_note(NOTE_LOGGED, kind=activity.kind),
        )
    return activity


def activity_plan(
    *, actor, customer: Customer, kind: str, due_on: date, summary: str = "", contact=None, visit_level: str = "",
    opportunity=None, now=None,
) -> Activity:
    """Plan a follow-up without logging one; the customer's owner is to do it. `opportunity`
    (optional) must be the customer's."""
    now = now or timezone.now()
    kind, visit_level = _clean_kind(kind, visit_level, planned=True)
    _clean_due(due_on, now=now, field="due_on")
    with transaction.atomic():
        customer = _lock_customer(actor=actor, customer=customer)
        contact = _clean_contact(contact, customer)
        opportunity = _clean_opportunity(opportunity, customer)
        plan = Activity.objects.create(
            customer=customer, contact=contact, opportunity=opportunity, owner_id=customer.owner_id, created_by=actor, kind=kind,
            visit_level=visit_level, status=Activity.Status.PLANNED, due_on=due_on, summary=(summary or "").strip(),
        )
        audit_record(
            actor=actor, verb=AuditEvent.Verb.CREATE, obj=plan, customer=customer,
            changes=_created(plan, ("kind", "visit_level", "contact", "opportunity", "due_on", "summary")),
            note=audit_note(NOTE_PLANNED, date=due_on.isoformat()),
        )
    return plan


def _lock_activity(*, actor, activity: Activity, now) -> tuple[Activity, Customer]:
    """The activity and its customer, locked, after checking that `actor` may change it."""
    customer = Customer.objects.select_for_update().get(pk=activity.customer_id)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if customer.is_deleted or activity.customer_id != customer.pk:
        raise PermissionDenied
    activity.customer = customer
    problem = activity_change_problem(actor, activity, now=now)
    if problem is not None:
        if can_log_activity(actor, customer):
            raise ActivityError(problem)
        raise PermissionDenied
    return activity, customer


def activity_cancel_planned(*, actor, activity: Activity, reason: str, now=None) -> Activity:
    """Cancel an open planned follow-up, saying why; it stays in the timeline as cancelled."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ActivityError(_("Say why the follow-up is cancelled."), "reason")
    with transaction.atomic():
        activity, customer = _lock_activity(actor=actor, activity=activity, now=now)
        if activity.status != Activity.Status.PLANNED:
            raise ActivityError(_("That planned follow-up is no longer open."))
        activity.status = Activity.Status.CANCELLED
        activity.cancel_reason = typed_note(reason)[:255]
        activity.closed_at = now
        activity.save(update_fields=["status", "cancel_reason", "closed_at", "updated_at"])
        audit_record(
            actor=actor, verb=AuditEvent.Verb.UPDATE, obj=activity, customer=customer,
            changes={"status": [Activity.Status.PLANNED, Activity.Status.CANCELLED]}, note=reason,
        )
    return activity


def activity_update(*, actor, activity: Activity, data: dict, now=None) -> Activity:
    """Change a logged activity (LOGGED_EDITABLE) or reschedule an open planned one
    (PLANNED_EDITABLE); other keys of `data` are ignored. The change is audited field by field."""
    now = now or timezone.now()
    with transaction.atomic():
        activity, customer = _lock_activity(actor=actor, activity=activity, now=now)
        logged = activity.is_logged
        editable = LOGGED_EDITABLE if logged else PLANNED_EDITABLE
        before = _plain(activity, editable)
        cell_before = cell_of(activity)
        old_due = activity.due_on
        for name in editable:
            if name in data:
                setattr(activity, name, data[name])
        activity.kind, activity.visit_level = _clean_kind(activity.kind, activity.visit_level, planned=not logged)
        activity.contact = _clean_contact(activity.contact, customer)
        activity.opportunity = _clean_opportunity(activity.opportunity, customer)
        if logged:
            activity.summary = (activity.summary or "").strip()
            activity.outcome = (activity.outcome or "").strip()
            if not activity.summary:
                raise ActivityError(_("Write what was discussed."), "summary")
            activity.at = _clean_at(activity.at, now=now)
        else:
            activity.summary = (activity.summary or "").strip()
            if activity.due_on != old_due:
                _clean_due(activity.due_on, now=now, field="due_on")
        after = _plain(activity, editable)
        changes = {k: [before[k], after[k]] for k in editable if before[k] != after[k]}
        if not changes:
            return activity
        activity.save(update_fields=[*editable, "updated_at"])
        if logged and "at" in changes:
            _clock_refresh(customer)
        if logged:
            activity_months_refresh(cells=[cell_before, cell_of(activity)])
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=activity, customer=customer, changes=changes)
    return activity


def activity_delete(*, actor, activity: Activity, now=None) -> None:
    """Delete a logged activity (its content is kept in the audit event). A planned
    follow-up it fulfilled is open again; the pool clock is recomputed without it."""
    now = now or timezone.now()
    with transaction.atomic():
        activity, customer = _lock_activity(actor=actor, activity=activity, now=now)
        if not activity.is_logged:
            raise ActivityError(_("Planned follow-ups are cancelled, not deleted."))
        Activity.objects.filter(completed_by=activity).update(
            status=Activity.Status.PLANNED, completed_by=None, closed_at=None, updated_at=now,
        )
        snapshot = {k: [v, None] for k, v in _plain(activity, LOGGED_EDITABLE).items() if v not in (None, "")}
        audit_record(actor=actor, verb=AuditEvent.Verb.REMOVE, obj=activity, customer=customer, changes=snapshot)
        cell = cell_of(activity)
        activity.delete()
        _clock_refresh(customer)
        activity_months_refresh(cells=[cell])


# --- handover and merge (registered in wiring.register) ---------------------------------------

def planned_followups_count(*, from_user, customer_ids) -> dict:
    """hooks.HANDOVER_COUNTERS: how many open planned follow-ups a handover would move."""
    count = Activity.objects.filter(customer_id__in=list(customer_ids), status=Activity.Status.PLANNED).count()
    return {_("Planned follow-ups"): count} if count else {}


def planned_followups_hand_over(*, actor, from_user, to_user, customer_ids) -> dict:
    """hooks.HANDOVER_MOVERS: the open planned follow-ups of the handed-over customers go to
    the new owner. Logged activities keep their author: history stays as it happened."""
    moved = Activity.objects.filter(customer_id__in=list(customer_ids), status=Activity.Status.PLANNED).update(
        owner=to_user, updated_at=timezone.now(),
    )
    return {_("Planned follow-ups"): moved} if moved else {}


def activities_merge(*, actor, kept: Customer, merged: Customer) -> dict:
    """hooks.MERGE_MOVERS: every activity of the merged record moves to the kept one; its
    open planned follow-ups go to the kept record's owner. The kept record's last follow-up
    (and pool clock) take the later of the two. `kept` is saved by the merge service."""
    now = timezone.now()
    if kept.owner_id is not None:
        Activity.objects.filter(customer=merged, status=Activity.Status.PLANNED).update(owner_id=kept.owner_id, updated_at=now)
    moved = Activity.objects.filter(customer=merged).update(customer=kept, updated_at=now)
    if merged.last_followup_at and (kept.last_followup_at is None or merged.last_followup_at > kept.last_followup_at):
        kept.last_followup_at = merged.last_followup_at
        if kept.owner_id is not None and merged.last_followup_at > _clock_of(kept):
            kept.pool_clock_at = merged.last_followup_at
            kept.return_warned_at = None
    return {_("activities"): moved} if moved else {}


def planned_followups_close_for_pool(*, customer_ids, now) -> int:
    """For customers.hooks.POOL_EXIT_HANDLERS: a customer that went back to the pool has no
    owner to do its planned follow-ups, so they are cancelled (the reason says why) and leave
    the former owner's agenda. Whoever claims it next plans afresh."""
    return Activity.objects.filter(customer_id__in=list(customer_ids), status=Activity.Status.PLANNED).update(
        status=Activity.Status.CANCELLED, closed_at=now, cancel_reason=audit_note(NOTE_BACK_TO_POOL), updated_at=now,
    )

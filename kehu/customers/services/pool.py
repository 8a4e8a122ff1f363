"""The public pool (公海): claim, release, automatic return and the warning before it.

Days are counted in calendar days of the company's time zone, so that the date a warning
announces is the date `kehu daily` returns the customer, whatever the hour it runs:
a customer whose pool clock (last follow-up or start of ownership) fell on day D returns on
D + pool_return_days, and its owner is warned from D + pool_return_days − pool_warning_days.
A former owner may claim a customer again from (day it left them) + pool_reclaim_cooldown_days.
"""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from kehu.accounts.models import User
from kehu.core import events
from kehu.core.audit import audit_note, audit_record
from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers import hooks
from kehu.customers.errors import PoolError
from kehu.customers.models import Customer, PoolEvent
from kehu.customers.summaries import stage_months_refresh
from kehu.customers import permissions

RETURNED_FROM_DAYS = 30


# --- date rules (one place) -------------------------------------------------------------

def _day_start(day: date) -> datetime:
    """Local midnight at the start of `day`, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


def pool_clock_cutoff(*, today: date, days: int) -> datetime:
    """Customers whose pool clock is before this moment have been idle `days` calendar days by `today`."""
    return _day_start(today - timedelta(days=days - 1))


def pool_return_due_on(clock_at: datetime, *, return_days: int) -> date:
    """The day a customer idle since `clock_at` goes back to the pool."""
    return timezone.localdate(clock_at) + timedelta(days=return_days)


def pool_reclaim_from(customer: Customer, *, cooldown_days: int) -> date | None:
    """The first day the former owner may claim `customer` again, or None when no cool-down applies."""
    if not cooldown_days or not customer.returned_to_pool_at or not customer.previous_owner_id:
        return None
    return timezone.localdate(customer.returned_to_pool_at) + timedelta(days=cooldown_days)


def _candidates(cutoff):
    """Owned customers idle since before `cutoff` that may return: never key accounts, never
    those a later app holds back (an open opportunity, hooks.POOL_RETURN_FILTERS).

    Each row carries `clock`: its pool clock, or for a row written without one (an old
    import) the start of its ownership or its creation, so that no owned customer is exempt.
    """
    qs = (
        Customer.objects.filter(owner__isnull=False, is_deleted=False, is_key_account=False)
        .annotate(clock=Coalesce("pool_clock_at", "owned_since", "created_at"))
        .filter(clock__lt=cutoff)
    )
    for narrow in hooks.POOL_RETURN_FILTERS:
        qs = narrow(qs)
    return qs


# --- writes --------------------------------------------------------------------------------

def customer_claim(*, actor, customer: Customer, now=None) -> Customer:
    """A rep (or manager) takes a customer from the pool, within the pool limits.

    Two people claiming the same customer at once: the row lock makes the second wait, and
    it then finds an owner and gets a PoolError. One person's concurrent claims queue on
    their own user row, so the caps hold.
    """
    conf = CompanySettings.load()
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.owner_id is not None or customer.is_deleted:
            raise PoolError(_("This customer is no longer in the pool."))
        if not permissions.can_claim_customer(actor, customer):
            raise PermissionDenied
        if customer.previous_owner_id == actor.pk:
            reclaim_from = pool_reclaim_from(customer, cooldown_days=conf.pool_reclaim_cooldown_days)
            if reclaim_from and today < reclaim_from:
                raise PoolError(
                    _("This customer left you on %(left)s. A former owner may claim it again from %(until)s.")
                    % {"left": timezone.localdate(customer.returned_to_pool_at).isoformat(), "until": reclaim_from.isoformat()}
                )
        if conf.pool_max_customers_per_rep:
            held = Customer.objects.filter(owner=actor, is_deleted=False).count()
            if held >= conf.pool_max_customers_per_rep:
                raise PoolError(
                    ngettext(
                        "You already hold %(held)d customer, the most a rep may hold is %(limit)d. Release a customer to the pool first.",
                        "You already hold %(held)d customers, the most a rep may hold is %(limit)d. Release a customer to the pool first.",
                        held,
                    )
                    % {"held": held, "limit": conf.pool_max_customers_per_rep}
                )
        if conf.pool_daily_claim_limit:
            claimed = PoolEvent.objects.filter(kind=PoolEvent.Kind.CLAIM, user=actor, on_date=today).count()
            if claimed >= conf.pool_daily_claim_limit:
                raise PoolError(
                    ngettext(
                        "You have claimed %(count)d customer today, the daily limit is %(limit)d. Try again tomorrow.",
                        "You have claimed %(count)d customers today, the daily limit is %(limit)d. Try again tomorrow.",
                        claimed,
                    )
                    % {"count": claimed, "limit": conf.pool_daily_claim_limit}
                )
        customer.owner = actor
        customer.owned_since = now
        customer.pool_clock_at = now
        customer.return_warned_at = None
        customer.save(update_fields=["owner", "owned_since", "pool_clock_at", "return_warned_at", "updated_at"])
        stage_months_refresh(customer_ids=[customer.pk])
        PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.CLAIM, user=actor, on_date=today)
        audit_record(actor=actor, verb=AuditEvent.Verb.CLAIM, obj=customer, customer=customer, changes={"owner": [None, actor.pk]})
        events.event_record(events.CUSTOMER_OWNER_CHANGED, object_type="customer", object_ids=customer.pk, actor=actor,
                            changes={"owner": [None, actor.pk], "reason": "claim"})
    return customer


def customer_release(*, actor, customer: Customer, reason: str = "", now=None) -> Customer:
    """The owner (or their manager) gives a customer back to the pool."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise PoolError(_("Say why the customer goes back to the pool; the next owner and your manager will read it."))
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.owner_id is None and not customer.is_deleted:
            raise PoolError(_("This customer is already in the pool."))
        if not permissions.can_release_customer(actor, customer):
            raise PermissionDenied
        old = customer.owner_id
        _to_pool(customer, now)
        PoolEvent.objects.create(
            customer=customer, kind=PoolEvent.Kind.RELEASE, user_id=old, on_date=timezone.localdate(now), reason=reason[:255],
        )
        audit_record(actor=actor, verb=AuditEvent.Verb.RELEASE, obj=customer, customer=customer, changes={"owner": [old, None]}, note=reason)
        events.event_record(events.CUSTOMER_OWNER_CHANGED, object_type="customer", object_ids=customer.pk, actor=actor,
                            changes={"owner": [old, None], "reason": "release"})
    return customer


def _to_pool(customer: Customer, now) -> None:
    customer.previous_owner_id = customer.owner_id
    customer.owner = None
    customer.returned_to_pool_at = now
    customer.owned_since = None
    customer.pool_clock_at = None
    customer.return_warned_at = None
    customer.save(update_fields=["previous_owner", "owner", "returned_to_pool_at", "owned_since", "pool_clock_at", "return_warned_at", "updated_at"])
    stage_months_refresh(customer_ids=[customer.pk])
    for handler in hooks.POOL_EXIT_HANDLERS:
        handler(customer_ids=[customer.pk], now=now)


def pool_run_returns(*, now=None) -> int:
    """Return to the pool every customer idle for the configured days. Idempotent: a returned
    customer has no owner, so a second run finds nothing (and PoolEvent allows one return a day)."""
    conf = CompanySettings.load()
    if not conf.pool_return_days:
        return 0
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutoff = pool_clock_cutoff(today=today, days=conf.pool_return_days)
    returned = 0
    for pk in list(_candidates(cutoff).values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                customer = _candidates(cutoff).select_for_update().filter(pk=pk).first()
                if customer is None:
                    continue  # followed up, claimed or handed over meanwhile
                old = customer.owner_id
                idle_days = (today - timezone.localdate(customer.clock)).days
                _to_pool(customer, now)
                reason = audit_note(gettext_noop("No follow-up for %(days)d days"), days=idle_days)
                PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.RETURN, user_id=old, on_date=today, reason=reason)
                audit_record(actor=None, verb=AuditEvent.Verb.RETURN, obj=customer, customer=customer, changes={"owner": [old, None]}, note=reason)
                events.event_record(events.CUSTOMER_OWNER_CHANGED, object_type="customer", object_ids=customer.pk,
                                    changes={"owner": [old, None], "reason": "return"})
                returned += 1
        except IntegrityError:
            continue  # already returned once today (a concurrent run): leave it as it is
    return returned


def pool_run_warnings(*, now=None) -> int:
    """Warn owners (once per idle spell) of customers that return within the warning days."""
    conf = CompanySettings.load()
    if not conf.pool_return_days or not conf.pool_warning_days:
        return 0
    now = now or timezone.now()
    today = timezone.localdate(now)
    due_cutoff = pool_clock_cutoff(today=today, days=conf.pool_return_days)
    warn_cutoff = pool_clock_cutoff(today=today, days=conf.pool_return_days - conf.pool_warning_days)
    qs = _candidates(warn_cutoff).filter(clock__gte=due_cutoff, return_warned_at__isnull=True)
    warned = 0
    for customer in qs.only("pk", "owner_id"):
        due = pool_return_due_on(customer.clock, return_days=conf.pool_return_days)
        try:
            with transaction.atomic():
                updated = Customer.objects.filter(pk=customer.pk, return_warned_at__isnull=True).update(return_warned_at=now)
                if not updated:
                    continue
                PoolEvent.objects.create(
                    customer_id=customer.pk, kind=PoolEvent.Kind.WARNING, user_id=customer.owner_id, on_date=today,
                    reason=audit_note(gettext_noop("Returns to the pool on %(date)s without a follow-up"), date=due.isoformat()),
                )
                warned += 1
        except IntegrityError:
            continue
    return warned


# --- reads for the pool page ---------------------------------------------------------------

def pool_returning_soon(*, user, conf: CompanySettings | None = None, now=None, limit: int = 50) -> list[Customer]:
    """`user`'s own customers that return to the pool within the warning days, each with
    `return_on` (the day it goes back), soonest first."""
    conf = conf or CompanySettings.load()
    if not conf.pool_return_days:
        return []
    today = timezone.localdate(now or timezone.now())
    warn_cutoff = pool_clock_cutoff(today=today, days=conf.pool_return_days - conf.pool_warning_days)
    rows = list(
        _candidates(warn_cutoff).filter(owner=user)
        .only("pk", "code", "name", "last_followup_at", "owner_id")
        .order_by("clock", "pk")[:limit]
    )
    for row in rows:
        row.return_on = max(today, pool_return_due_on(row.clock, return_days=conf.pool_return_days))
    return rows


def pool_returned_from(*, user, now=None, days: int = RETURNED_FROM_DAYS, limit: int = 50):
    """Returns and releases of `user`'s customers in the last `days` days, newest first, so the
    former owner learns what went back to the pool and why."""
    since = timezone.localdate(now or timezone.now()) - timedelta(days=days)
    return list(
        PoolEvent.objects.filter(
            user=user, kind__in=[PoolEvent.Kind.RETURN, PoolEvent.Kind.RELEASE], on_date__gte=since, customer__is_deleted=False,
        )
        .select_related("customer")
        .order_by("-at", "-id")[:limit]
    )


def pool_standing(*, user, conf: CompanySettings, now=None) -> dict:
    """How many customers `user` holds and has claimed today, against the caps."""
    today = timezone.localdate(now or timezone.now())
    return {
        "held": Customer.objects.filter(owner=user, is_deleted=False).count(),
        "claimed_today": PoolEvent.objects.filter(kind=PoolEvent.Kind.CLAIM, user=user, on_date=today).count(),
        "max_held": conf.pool_max_customers_per_rep,
        "daily_limit": conf.pool_daily_claim_limit,
    }

"""The public pool (公海): claim, release, automatic return and the warning before it."""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import permissions
from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers import hooks
from kehu.customers.errors import PoolError
from kehu.customers.models import Customer, PoolEvent


def _today() -> date:
    return timezone.localdate()


def customer_claim(*, actor, customer: Customer) -> Customer:
    """A rep (or manager) takes a customer from the pool, within the pool limits."""
    conf = CompanySettings.load()
    with transaction.atomic():
        # Lock the claimer's row first so that their own concurrent claims queue up behind
        # each other and the cap and daily limit hold.
        type(actor).objects.select_for_update().filter(pk=actor.pk).first()
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.owner_id is not None or customer.is_deleted:
            raise PoolError(_("This customer is no longer in the pool."))
        if not permissions.can_claim_customer(actor, customer):
            raise PermissionDenied
        now = timezone.now()
        if conf.pool_max_customers_per_rep:
            held = Customer.objects.filter(owner=actor, is_deleted=False).count()
            if held >= conf.pool_max_customers_per_rep:
                raise PoolError(
                    _("You already hold %(held)d customers, the most a rep may hold is %(limit)d. Release a customer to the pool first.")
                    % {"held": held, "limit": conf.pool_max_customers_per_rep}
                )
        if conf.pool_daily_claim_limit:
            today = PoolEvent.objects.filter(kind=PoolEvent.Kind.CLAIM, user=actor, on_date=_today()).count()
            if today >= conf.pool_daily_claim_limit:
                raise PoolError(
                    _("You have claimed %(count)d customers today, the daily limit is %(limit)d. Try again tomorrow.")
                    % {"count": today, "limit": conf.pool_daily_claim_limit}
                )
        if (
            conf.pool_reclaim_cooldown_days
            and customer.previous_owner_id == actor.pk
            and customer.returned_to_pool_at
            and customer.returned_to_pool_at > now - timedelta(days=conf.pool_reclaim_cooldown_days)
        ):
            until = timezone.localtime(customer.returned_to_pool_at + timedelta(days=conf.pool_reclaim_cooldown_days))
            raise PoolError(
                _("This customer left you on %(left)s. A former owner may claim it again from %(until)s.")
                % {"left": timezone.localtime(customer.returned_to_pool_at).date().isoformat(), "until": until.date().isoformat()}
            )
        customer.owner = actor
        customer.owned_since = now
        customer.pool_clock_at = now
        customer.return_warned_at = None
        customer.save(update_fields=["owner", "owned_since", "pool_clock_at", "return_warned_at", "updated_at"])
        PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.CLAIM, user=actor, on_date=_today())
        audit_record(actor=actor, verb=AuditEvent.Verb.CLAIM, obj=customer, customer=customer, changes={"owner": [None, actor.pk]})
    return customer


def customer_release(*, actor, customer: Customer, reason: str = "") -> Customer:
    """The owner (or their manager) gives a customer back to the pool."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if not permissions.can_release_customer(actor, customer):
            raise PermissionDenied
        now = timezone.now()
        old = customer.owner_id
        _to_pool(customer, now)
        PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.RELEASE, user_id=old, on_date=_today(), reason=reason[:255])
        audit_record(actor=actor, verb=AuditEvent.Verb.RELEASE, obj=customer, customer=customer, changes={"owner": [old, None]}, note=reason)
    return customer


def _to_pool(customer: Customer, now) -> None:
    customer.previous_owner_id = customer.owner_id
    customer.owner = None
    customer.returned_to_pool_at = now
    customer.owned_since = None
    customer.pool_clock_at = None
    customer.return_warned_at = None
    customer.save(update_fields=["previous_owner", "owner", "returned_to_pool_at", "owned_since", "pool_clock_at", "return_warned_at", "updated_at"])


def _candidates(cutoff):
    qs = Customer.objects.filter(owner__isnull=False, is_deleted=False, is_key_account=False, pool_clock_at__lt=cutoff)
    for narrow in hooks.POOL_RETURN_FILTERS:
        qs = narrow(qs)
    return qs


def pool_run_returns(*, now=None) -> int:
    """Return to the pool every customer idle for the configured days. Idempotent."""
    conf = CompanySettings.load()
    if not conf.pool_return_days:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.pool_return_days)
    returned = 0
    for pk in list(_candidates(cutoff).values_list("pk", flat=True)):
        with transaction.atomic():
            customer = _candidates(cutoff).select_for_update().filter(pk=pk).first()
            if customer is None:
                continue  # followed up or claimed meanwhile
            old = customer.owner_id
            idle_days = (now - customer.pool_clock_at).days
            _to_pool(customer, now)
            reason = _("No follow-up for %(days)d days") % {"days": idle_days}
            PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.RETURN, user_id=old, on_date=timezone.localdate(now), reason=reason)
            audit_record(actor=None, verb=AuditEvent.Verb.RETURN, obj=customer, customer=customer, changes={"owner": [old, None]}, note=reason)
            returned += 1
    return returned


def pool_run_warnings(*, now=None) -> int:
    """Warn owners (once per idle spell) of customers that return within the warning days."""
    conf = CompanySettings.load()
    if not conf.pool_return_days or not conf.pool_warning_days:
        return 0
    now = now or timezone.now()
    window_start = now - timedelta(days=conf.pool_return_days)
    warn_from = window_start + timedelta(days=conf.pool_warning_days)
    qs = _candidates(warn_from).filter(pool_clock_at__gte=window_start, return_warned_at__isnull=True)
    warned = 0
    for customer in qs.select_related("owner"):
        due = timezone.localtime(customer.pool_clock_at + timedelta(days=conf.pool_return_days)).date()
        try:
            with transaction.atomic():
                updated = Customer.objects.filter(pk=customer.pk, return_warned_at__isnull=True).update(return_warned_at=now)
                if not updated:
                    continue
                PoolEvent.objects.create(
                    customer=customer, kind=PoolEvent.Kind.WARNING, user_id=customer.owner_id,
                    on_date=timezone.localdate(now), reason=_("Returns to the pool on %(date)s without a follow-up") % {"date": due.isoformat()},
                )
                warned += 1
        except IntegrityError:
            continue
    return warned

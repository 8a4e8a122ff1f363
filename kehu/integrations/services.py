"""Webhook writes: subscriptions (admin only), the outbox written in the writer's transaction,
each delivery attempt (signed, timed out, retried with backoff) and replays.

Delivery is a background task (kehu.integrations.tasks) enqueued after the commit; the task
calls `delivery_attempt`, which never holds a transaction open while it waits for the network.
A delivery is idempotent to run twice: only a pending or retrying delivery whose time has come
is sent, so a duplicate task (a re-enqueue after a crash) does nothing.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.events import EVENT_TYPES, DomainEvent
from kehu.core.models import AuditEvent
from kehu.integrations.errors import WebhookError
from kehu.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription, new_secret
from kehu.integrations.payloads import payload_rows, plain
from kehu.integrations.permissions import can_manage_webhooks

logger = logging.getLogger(__name__)

# After the 1st, 2nd, … failed attempt the next one waits this long; after the last, failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
BODY_KEEP = 1000  # characters of a response body kept with the attempt
ERROR_KEEP = 500
USER_AGENT = "Kehu-Webhooks/1"
# How many deliveries one background task sends (a handover of many customers: few tasks).
TASK_BATCH = 50
# A pending delivery whose task has not run this long after it was due, or one left "sending"
# this long (its worker was killed), is enqueued again by `deliveries_requeue_stranded`.
STRANDED_AFTER = timedelta(minutes=15)


def _timeout():
    return getattr(settings, "KEHU_WEBHOOK_TIMEOUT", 10)


# --- subscriptions (the admin's page) --------------------------------------------------------------

def _check_admin(actor) -> None:
    if not can_manage_webhooks(actor):
        raise PermissionDenied


def clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(_("The URL must start with http:// or https:// and name a host."))
    if parts.username or parts.password:
        raise WebhookError(_("Put no user name or password in the URL; the receiver checks the signature instead."))
    return url


def clean_event_types(event_types) -> list[str]:
    chosen = [t for t in EVENT_TYPES if t in set(event_types or ())]
    unknown = set(event_types or ()) - set(EVENT_TYPES)
    if unknown:
        raise WebhookError(_("Unknown events: %(events)s") % {"events": ", ".join(sorted(unknown))})
    if not chosen:
        raise WebhookError(_("Choose at least one event."))
    return chosen


def subscription_create(*, actor, url: str, event_types, description: str = "", is_active: bool = True) -> WebhookSubscription:
    _check_admin(actor)
    sub = WebhookSubscription(url=clean_url(url), event_types=clean_event_types(event_types),
                              description=(description or "").strip()[:200], is_active=is_active, created_by=actor)
    with transaction.atomic():
        sub.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=sub,
                     changes={"url": [None, sub.url], "event_types": [None, sub.event_types], "is_active": [None, sub.is_active]})
    return sub


def subscription_update(*, actor, subscription: WebhookSubscription, url: str, event_types, description: str = "",
                        is_active: bool = True) -> WebhookSubscription:
    _check_admin(actor)
    url, event_types = clean_url(url), clean_event_types(event_types)
    with transaction.atomic():
        sub = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        before = {"url": sub.url, "event_types": sub.event_types, "description": sub.description, "is_active": sub.is_active}
        sub.url, sub.event_types, sub.description, sub.is_active = url, event_types, (description or "").strip()[:200], is_active
        sub.save()
        after = {"url": sub.url, "event_types": sub.event_types, "description": sub.description, "is_active": sub.is_active}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changes:
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=sub, changes=changes)
    return sub


def subscription_rotate_secret(*, actor, subscription: WebhookSubscription) -> WebhookSubscription:
    """A new signing secret; deliveries sent from now on (retries included) are signed with it."""
    _check_admin(actor)
    with transaction.atomic():
        sub = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        sub.secret = new_secret()
        sub.secret_rotated_at = timezone.now()
        sub.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=sub, changes={"secret": ["…", "…"]})
    return sub


def subscription_delete(*, actor, subscription: WebhookSubscription) -> None:
    """Remove the subscription with its deliveries and their attempts (the events stay)."""
    _check_admin(actor)
    with transaction.atomic():
        sub = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        audit_record(actor=actor, verb=AuditEvent.Verb.REMOVE, obj=sub, changes={"url": [sub.url, None]})
        sub.delete()


# --- the outbox: written in the writer's transaction ---------------------------------------------

def events_write(event: DomainEvent) -> list[int]:
    """The EVENT_SINKS entry: one WebhookEvent per object and one delivery per subscription that
    wants the event type, in the caller's transaction; the deliveries are enqueued once it commits
    (none if it rolls back). Returns the ids of the deliveries written."""
    subs = [s for s in WebhookSubscription.objects.filter(is_active=True).only("pk", "event_types")
            if event.type in (s.event_types or ())]
    if not subs:
        return []
    now = timezone.now()
    data = payload_rows(event.object_type, event.object_ids)
    changes = plain(event.changes)
    events = WebhookEvent.objects.bulk_create([
        WebhookEvent(event_type=event.type, object_type=event.object_type, object_id=pk, actor_id=event.actor_id,
                     occurred_at=now, data={**data.get(pk, {"id": pk}), **({"changes": changes} if changes else {})})
        for pk in event.object_ids
    ])
    deliveries = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(event=e, subscription=s, next_attempt_at=now) for e in events for s in subs
    ])
    ids = [d.pk for d in deliveries]
    transaction.on_commit(partial(deliveries_enqueue, ids), robust=True)
    return ids


def deliveries_enqueue(delivery_ids, *, run_after=None) -> int:
    """Enqueue the background task(s) that send these deliveries (TASK_BATCH per task). A backend
    that cannot defer (the immediate one) is not given a later retry: the sweep
    `deliveries_requeue_stranded` sends it then. Returns how many tasks were enqueued."""
    from kehu.integrations.tasks import deliver_webhooks

    ids = [int(i) for i in delivery_ids]
    task = deliver_webhooks
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return 0
        task = task.using(run_after=run_after)
    enqueued = 0
    for start in range(0, len(ids), TASK_BATCH):
        try:
            task.enqueue(ids[start:start + TASK_BATCH])
            enqueued += 1
        except Exception:  # the deliveries stay pending: the sweep enqueues them again
            logger.exception("could not enqueue webhook deliveries %s", ids[start:start + TASK_BATCH])
    return enqueued


# --- one attempt ---------------------------------------------------------------------------------

def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The JSON body: the same bytes for every attempt and replay of an event."""
    event = delivery.event
    doc = {
        "id": str(event.uid),
        "type": event.event_type,
        "created_at": event.occurred_at.isoformat(),
        "object": event.object_type,
        "data": event.data,
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the subscription's secret."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def delivery_headers(delivery: WebhookDelivery, *, body: bytes, timestamp: int) -> dict:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Kehu-Event": delivery.event.event_type,
        "X-Kehu-Event-Id": str(delivery.event.uid),
        "X-Kehu-Delivery": str(delivery.uid),
        "X-Kehu-Timestamp": str(timestamp),
        "X-Kehu-Signature": signature(delivery.subscription.secret, timestamp, body),
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx answer is the answer: the body goes only to the URL the admin subscribed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxy from the environment and no redirects: the request goes where the URL says, nowhere else.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class SendResult:
    status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def http_post(url: str, body: bytes, headers: dict, *, timeout: float) -> SendResult:
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            text = response.read(BODY_KEEP * 4).decode("utf-8", "replace")
            status = response.status
        return SendResult(status, text[:BODY_KEEP], "", int((time.monotonic() - started) * 1000))
    except urllib.error.HTTPError as exc:  # a non-2xx answer (3xx included: not followed)
        try:
            text = exc.read(BODY_KEEP * 4).decode("utf-8", "replace")
        except Exception:
            text = ""
        return SendResult(exc.code, text[:BODY_KEEP], "", int((time.monotonic() - started) * 1000))
    except Exception as exc:  # refused, DNS, TLS, timeout …
        reason = getattr(exc, "reason", None) or exc
        return SendResult(None, "", f"{type(exc).__name__}: {reason}"[:ERROR_KEEP], int((time.monotonic() - started) * 1000))


def delivery_attempt(*, delivery_id: int, now=None, send=http_post) -> WebhookDelivery | None:
    """Send the delivery once if it is due (pending or retrying, its time come): log the attempt,
    then mark it delivered (2xx), retrying at now + BACKOFF[n-1] (network error or non-2xx), or
    failed after MAX_ATTEMPTS. Returns the delivery as left (None when it no longer exists)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",)).select_related("event", "subscription")
                    .filter(pk=delivery_id).first())
        if delivery is None:
            return None
        due = delivery.next_attempt_at is None or delivery.next_attempt_at <= now
        if delivery.status not in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING) or not due:
            return delivery
        delivery.status = WebhookDelivery.Status.SENDING
        delivery.attempt_count += 1
        delivery.last_attempt_at = now
        delivery.save(update_fields=["status", "attempt_count", "last_attempt_at"])
    number = delivery.attempt_count
    if delivery.subscription.is_active:
        body = delivery_body(delivery)
        timestamp = int(now.timestamp())
        result = send(delivery.subscription.url, body, delivery_headers(delivery, body=body, timestamp=timestamp), timeout=_timeout())
    else:
        result = SendResult(None, "", _("The subscription is paused."), 0)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").filter(pk=delivery.pk).first()
        if delivery is None:  # its subscription was deleted while it was being sent
            return None
        WebhookAttempt.objects.create(delivery=delivery, number=number, started_at=now, duration_ms=result.duration_ms,
                                      response_code=result.status, succeeded=result.ok, response_body=result.body,
                                      error=result.error)
        delivery.last_response_code = result.status
        if result.ok:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.SUCCEEDED, None
        elif number < MAX_ATTEMPTS and delivery.subscription.is_active:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.RETRYING, now + BACKOFF[number - 1]
            transaction.on_commit(partial(deliveries_enqueue, [delivery.pk], run_after=delivery.next_attempt_at), robust=True)
        else:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        delivery.save(update_fields=["status", "next_attempt_at", "last_response_code"])
    return delivery


def delivery_replay(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery's event again to its subscription: a new delivery (new delivery id, the
    same event id and body), sent in the background like the first."""
    _check_admin(actor)
    with transaction.atomic():
        sub = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
        if not sub.is_active:
            raise WebhookError(_("The subscription is paused; turn it on before replaying."))
        replay = WebhookDelivery.objects.create(event_id=delivery.event_id, subscription=sub, replay_of=delivery,
                                                next_attempt_at=timezone.now())
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=sub, changes={"replay": [str(delivery.uid), str(replay.uid)]})
        transaction.on_commit(partial(deliveries_enqueue, [replay.pk]), robust=True)
    return replay


def deliveries_requeue_stranded(*, now=None) -> int:
    """Enqueue again the deliveries a lost task or a killed worker left behind: pending or
    retrying ones due for STRANDED_AFTER, and ones left "sending" that long (back to retrying;
    the interrupted try counts). Harmless when their task is only late: a delivery is sent once."""
    now = now or timezone.now()
    cutoff = now - STRANDED_AFTER
    with transaction.atomic():
        stuck = list(WebhookDelivery.objects.select_for_update()
                     .filter(status=WebhookDelivery.Status.SENDING, last_attempt_at__lt=cutoff).values_list("pk", flat=True))
        if stuck:
            WebhookDelivery.objects.filter(pk__in=stuck).update(status=WebhookDelivery.Status.RETRYING, next_attempt_at=now)
    due = list(WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING], next_attempt_at__lt=cutoff,
    ).values_list("pk", flat=True))
    ids = sorted(set(stuck) | set(due))
    if ids:
        deliveries_enqueue(ids)
    return len(ids)

"""Domain events: what a service tells the outside world happened, inside its own transaction.

A service calls `event_record(...)` right after its write, inside its `transaction.atomic()`;
whatever is registered in EVENT_SINKS (kehu.integrations: the webhook outbox) writes its rows
in that same transaction, so an event exists exactly when the write committed — a rolled back
write leaves none. The sinks do their own work after the commit (`transaction.on_commit`).

Event types are dotted strings (`customer.created`); `object_ids` name the rows the event is
about (a handover moves many customers: one event each). Nothing here knows who listens.
The bulk import (kehu.dataset) does not call this: see docs/api.md, "Webhooks".
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kehu.core.hooks import Hook

CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_OWNER_CHANGED = "customer.owner_changed"
OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed"
QUOTE_APPROVED = "quote.approved"
ORDER_HELD = "order.held"
ORDER_RELEASED = "order.released"
PAYMENT_RECORDED = "payment.recorded"

EVENT_TYPES = (
    CUSTOMER_CREATED, CUSTOMER_UPDATED, CUSTOMER_OWNER_CHANGED, OPPORTUNITY_STAGE_CHANGED,
    QUOTE_APPROVED, ORDER_HELD, ORDER_RELEASED, PAYMENT_RECORDED,
)


@dataclass(frozen=True)
class DomainEvent:
    type: str
    object_type: str  # "customer", "opportunity", "quote", "order", "payment"
    object_ids: tuple
    actor_id: int | None = None
    changes: dict = field(default_factory=dict)  # e.g. {"owner": [old_id, new_id]}, JSON-able


# Called with one DomainEvent inside the writer's transaction (keyed by the sink's name).
EVENT_SINKS: Hook[Callable[[DomainEvent], None]] = Hook("core.event_sinks")


def event_record(event_type: str, *, object_type: str, object_ids: int | Iterable[int], actor=None,
                 changes: dict | None = None) -> None:
    """Tell the registered sinks that `event_type` happened to `object_ids` (call it inside the
    writer's transaction, after the write)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if not EVENT_SINKS:
        return
    ids = (object_ids,) if isinstance(object_ids, int) else tuple(object_ids)
    if not ids:
        return
    event = DomainEvent(type=event_type, object_type=object_type, object_ids=ids,
                        actor_id=getattr(actor, "pk", None), changes=changes or {})
    for sink in EVENT_SINKS:
        sink(event)

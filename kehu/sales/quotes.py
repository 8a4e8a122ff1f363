"""Moved. Quote writes are `kehu.sales.services.quotes` (importable from `kehu.sales.services`),
the rights `kehu.sales.permissions`, the errors `kehu.sales.errors`, `policy_source`
`kehu.sales.policy`. This module only re-exports the names other apps imported from here
(finance.contracts, dataset.services, sales.wiring_deals) so that branches merged alongside
keep working; import from `kehu.sales.services` in new code, and delete this module once
nothing imports it."""

from kehu.sales.permissions import can_decide_quote, can_edit_quote
from kehu.sales.policy import policy_source
from kehu.sales.services.customer_hooks import open_quotes, open_quotes_count, open_quotes_hand_over
from kehu.sales.services.quotes import (
    CONTRACT_STATUSES,
    EDITABLE_STATUSES,
    KIND_APPROVAL,
    KIND_DECIDED,
    ask_approvers,
    effective_payment_term,
    quote_create,
    quote_decide,
    quote_mark_accepted,
    quote_mark_sent,
    quote_submit,
    quote_update,
    quote_url,
    submit_message,
)

__all__ = [
    "CONTRACT_STATUSES", "EDITABLE_STATUSES", "KIND_APPROVAL", "KIND_DECIDED", "ask_approvers", "can_decide_quote",
    "can_edit_quote", "effective_payment_term", "open_quotes", "open_quotes_count", "open_quotes_hand_over",
    "policy_source", "quote_create", "quote_decide", "quote_mark_accepted", "quote_mark_sent", "quote_submit",
    "quote_update", "quote_url", "submit_message",
]

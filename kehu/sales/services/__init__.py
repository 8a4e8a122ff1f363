"""Writes of selling, one module per entity: `opportunities` (create, move, edit), `quotes`
(write, submit, decide, sent/accepted) and `customer_hooks` (what the customers app asks of
sales: pool return, handover, merge). Each write runs in a transaction, checks its right in
`kehu.sales.permissions`, locks what it changes and writes an audit event; a broken rule
raises a `kehu.sales.errors.SalesError`. The public names are importable from here."""

from kehu.sales.errors import LineError, QuoteError, SalesError
from kehu.sales.permissions import (
    can_create_opportunity,
    can_create_quote,
    can_decide_quote,
    can_edit_opportunity,
    can_edit_quote,
)
from kehu.sales.services.customer_hooks import (
    customers_without_open_opportunity,
    open_opportunities,
    open_opportunities_count,
    open_opportunities_hand_over,
    open_quotes,
    open_quotes_count,
    open_quotes_hand_over,
    sales_merge,
)
from kehu.sales.services.opportunities import (
    EDITABLE,
    closed_forecast,
    first_stage,
    next_opportunity_code,
    opportunity_create,
    opportunity_etag,
    opportunity_move,
    opportunity_update,
)
from kehu.sales.services.quotes import (
    CONTRACT_STATUSES,
    EDITABLE_STATUSES,
    KIND_APPROVAL,
    KIND_DECIDED,
    approval_reasons,
    approvers,
    ask_approvers,
    effective_payment_term,
    is_over_discount,
    is_over_term,
    next_quote_code,
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
    "CONTRACT_STATUSES", "EDITABLE", "EDITABLE_STATUSES", "KIND_APPROVAL", "KIND_DECIDED", "LineError", "QuoteError",
    "SalesError", "approval_reasons", "approvers", "ask_approvers", "can_create_opportunity", "can_create_quote",
    "can_decide_quote", "can_edit_opportunity", "can_edit_quote", "closed_forecast", "customers_without_open_opportunity",
    "effective_payment_term", "first_stage", "is_over_discount", "is_over_term", "next_opportunity_code",
    "next_quote_code", "open_opportunities", "open_opportunities_count", "open_opportunities_hand_over", "open_quotes",
    "open_quotes_count", "open_quotes_hand_over", "opportunity_create", "opportunity_etag", "opportunity_move", "opportunity_update",
    "quote_create", "quote_decide", "quote_mark_accepted", "quote_mark_sent", "quote_submit", "quote_update",
    "quote_url", "sales_merge", "submit_message",
]

"""Errors of finance: a payment, plan, contract, order or write-off that cannot be recorded.
`message` says why (translated); views show it, the API answers 400 with it."""

from kehu.core.errors import DomainError


class FinanceError(DomainError):
    """A finance rule was broken; the message says which."""


class OverpaymentError(FinanceError):
    """A payment above what is open on the instalment, contract or receivable it names, not
    confirmed. `details`: `open` (Decimal), `amount`, `currency`, `target` (how the target reads)."""

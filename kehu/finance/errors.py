"""Errors of finance: a payment, plan, contract, order or write-off that cannot be recorded.
`message` says why (translated); views show it, the API answers 400 with it."""

from kehu.core.errors import DomainError


class FinanceError(DomainError):
    """A finance rule was broken; the message says which."""

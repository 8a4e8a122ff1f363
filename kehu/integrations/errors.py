"""Errors of the integrations app. Every message is translated and shown to the user as it is."""

from kehu.core.errors import DomainError


class WebhookError(DomainError):
    """A subscription that cannot be saved, or a delivery that cannot be replayed."""

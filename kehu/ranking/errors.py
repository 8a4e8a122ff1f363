"""Errors of the ranking app. Every message is translated and shown to the user as it is."""

from kehu.core.errors import DomainError


class RankingError(DomainError):
    """A run, a parameter, a setting or a tier policy that cannot be made, saved or compared."""

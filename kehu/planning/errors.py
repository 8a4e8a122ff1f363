"""The planning app's domain errors (a translated message; views show it, commands print it)."""

from kehu.core.errors import DomainError


class PlanningError(DomainError):
    """A target or a forecast that cannot be written or read as asked."""

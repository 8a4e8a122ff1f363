"""The errors of activities: a rule of follow-up broken."""

from kehu.core.errors import DomainError


class ActivityError(DomainError):
    """A rule of follow-up was broken. `message` is translated and shown to the user;
    `field` names the form field it concerns (None: the form as a whole)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message, field=field)
        self.field = field

"""The one root of every domain error.

A service refuses a write by raising a `DomainError` (or a subclass of its app's `errors.py`);
`message` is translated (lazily) and shown to the user as it is. Views catch `DomainError`,
the API turns it into a 400 with `{"detail": message}`, commands print it.
"""


class DomainError(Exception):
    """A rule was broken; `message` is what the user reads."""

    def __init__(self, message, **details):
        super().__init__(str(message))
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return str(self.message)


class StaleEdit(DomainError):
    """The record changed after the form was opened; `changes` lists (label, seen, now)."""

    def __init__(self, message, *, changes):
        super().__init__(message)
        self.changes = changes

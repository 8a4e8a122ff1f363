from django.utils.translation import gettext_lazy as _


class CustomerError(Exception):
    """A rule of the customer record was broken; `message` is translated and shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class DuplicateCustomer(CustomerError):
    def __init__(self, matches):
        super().__init__(_("This customer may already exist."))
        self.matches = matches

    @property
    def blocking(self) -> bool:
        """A USCC match is the same legal entity: it can be opened or merged, never created again."""
        return any(m.reason == "uscc" for m in self.matches)


class PoolError(CustomerError):
    pass

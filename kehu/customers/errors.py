"""The customers app's errors: every rule a customer service refuses raises one of these.

`CustomerError` is the app's root (a `kehu.core.errors.DomainError`: `message` is translated
and shown to the user as it is); the checklist, the archive and the pool refine it.
"""

from django.utils.translation import gettext_lazy as _

from kehu.core.errors import DomainError


class CustomerError(DomainError):
    """A rule of the customer record was broken; `message` is translated and shown to the user."""


class DuplicateCustomer(CustomerError):
    def __init__(self, matches):
        super().__init__(_("This customer may already exist."))
        self.matches = matches

    @property
    def blocking(self) -> bool:
        """A USCC match is the same legal entity: it can be opened or merged, never created again."""
        return any(m.reason == "uscc" for m in self.matches)


class PoolError(CustomerError):
    """A claim or release the pool rules refuse."""


class QualificationError(CustomerError):
    """A checklist rule was broken."""


class ArchiveError(CustomerError):
    """An archive entry that breaks a rule."""

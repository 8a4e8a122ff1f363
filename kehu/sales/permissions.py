"""Who may act on selling records (`can_<verb>_<entity>`). The services check them before
they write; templates use them only to hide a button. Seeing a record is a matter of
`visible_to` (kehu.accounts.visibility), not of these."""

from kehu.customers.permissions import can_edit_customer
from kehu.accounts.visibility import managed_user_ids


def can_create_opportunity(user, customer) -> bool:
    """The customer's owner, their manager or an admin (a rep for a pool customer); finance never."""
    return can_edit_customer(user, customer)


def can_edit_opportunity(user, opportunity) -> bool:
    """Edit or move an opportunity: whoever may edit its customer (finance never)."""
    return can_edit_customer(user, opportunity.customer)


def can_create_quote(user, customer) -> bool:
    """Write a quote for `customer`: whoever may edit the customer's sales data."""
    return can_edit_customer(user, customer)


def can_edit_quote(user, quote) -> bool:
    """Write on a quote (edit, submit, mark sent/accepted): whoever may edit the customer."""
    return can_edit_customer(user, quote.customer)


def can_decide_quote(user, quote) -> bool:
    """Approve or reject: a manager of the owner's team or an admin, never the owner nor the
    one who submitted the quote (no one approves a discount they asked for)."""
    if not (user and user.is_authenticated and user.is_active) or user.pk in (quote.owner_id, quote.submitted_by_id):
        return False
    if user.is_admin_role:
        return True
    return bool(user.is_manager and quote.owner_id in managed_user_ids(user))

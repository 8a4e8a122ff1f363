"""Rights to act on what the customers app owns besides the customer record itself:
`can_<verb>_<entity>(user, obj)` → bool. Services check them; templates only hide buttons.

The customer record (create, edit, credit, delete, restore, merge, claim, release, hand
over) and what hangs on it (the qualification checklist). Who a user is — active, sales,
allowed sensitive fields — stays in `kehu/accounts/permissions.py`.
Every check assumes the object was already fetched through the visibility scope.
"""

from kehu.accounts.permissions import active, is_sales
from kehu.accounts.visibility import managed_user_ids


def can_create_customer(user) -> bool:
    return is_sales(user)


def can_edit_customer(user, customer) -> bool:
    """Sales data is edited by its owner, the owner's manager, or an admin; finance never."""
    if not active(user) or customer.is_deleted:
        return False
    if user.is_admin_role:
        return True
    if user.is_manager:
        return customer.owner_id is None or customer.owner_id in managed_user_ids(user)
    if user.is_rep:
        return customer.owner_id == user.id
    return False


def can_edit_credit(user, customer) -> bool:
    """Credit limit, fund status and payment attitude: finance, managers of the owner, admins."""
    if not active(user):
        return False
    return user.is_finance or user.is_admin_role or (user.is_manager and can_edit_customer(user, customer))


def can_delete_customer(user, customer) -> bool:
    return active(user) and (user.is_admin_role or (user.is_manager and can_edit_customer(user, customer)))


def can_restore_customer(user, customer) -> bool:
    return active(user) and user.is_admin_role


def can_merge_customers(user, kept, merged) -> bool:
    """Merging changes both records: the user must be able to edit both (a rep may fold a pool record into their own)."""
    if not can_edit_customer(user, kept):
        return False
    if user.is_rep:
        return merged.owner_id in (None, user.id) and not merged.is_deleted
    return can_edit_customer(user, merged)


def can_claim_customer(user, customer) -> bool:
    return active(user) and (user.is_rep or user.is_manager) and customer.owner_id is None and not customer.is_deleted


def can_release_customer(user, customer) -> bool:
    return customer.owner_id is not None and can_edit_customer(user, customer)


def can_handover(user, from_user, to_user) -> bool:
    """A manager hands over between reps of their teams; an admin between any sales users."""
    if not active(user):
        return False
    if user.is_admin_role:
        return True
    if user.is_manager:
        ids = set(managed_user_ids(user))
        return from_user.id in ids and to_user.id in ids
    return False


def can_check_qualification(user, customer) -> bool:
    """Tick or untick a checklist item: whoever may edit the customer; finance never."""
    return can_edit_customer(user, customer)


def can_edit_qualification_items(user) -> bool:
    """Rename, reorder, (de)activate and add checklist items: administrators."""
    return bool(user and user.is_authenticated and user.is_active and user.is_admin_role)

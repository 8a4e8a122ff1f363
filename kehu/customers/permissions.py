"""Rights to act on what the customers app owns besides the customer record itself:
`can_<verb>_<entity>(user, obj)` → bool. Services check them; templates only hide buttons.

(The customer-record rights — can_edit_customer, can_claim_customer… — still live in
`kehu/accounts/permissions.py`; they move here with the rest of the layout.)
Every check assumes the object was already fetched through the visibility scope.
"""

from kehu.accounts import permissions


def can_check_qualification(user, customer) -> bool:
    """Tick or untick a checklist item: whoever may edit the customer; finance never."""
    return permissions.can_edit_customer(user, customer)


def can_edit_qualification_items(user) -> bool:
    """Rename, reorder, (de)activate and add checklist items: administrators."""
    return bool(user and user.is_authenticated and user.is_active and user.is_admin_role)

"""Who a user is, for the rights of every app: active, in sales, allowed to see sensitive
customer fields, allowed to manage users or import. The rights to act on an app's records are
that app's `permissions.py` (`kehu.customers.permissions.can_edit_customer`, …); services check
them, templates only hide buttons. No rule here widens what a user sees (visibility.py).
"""


def active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_sales(user) -> bool:
    return active(user) and (user.is_rep or user.is_manager or user.is_admin_role)


def can_view_sensitive(user) -> bool:
    return active(user) and (user.is_admin_role or user.is_finance or user.can_view_sensitive)


def can_manage_users(user) -> bool:
    return active(user) and user.is_admin_role


def can_import(user) -> bool:
    return active(user) and (user.is_admin_role or user.is_manager)

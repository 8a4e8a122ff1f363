"""Who may manage webhooks: the admin only (company-wide integration settings)."""

from kehu.accounts.permissions import active


def can_manage_webhooks(user) -> bool:
    return active(user) and user.is_admin_role

"""What the dataset commands share: the acting user."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def acting_user(username: str | None):
    """The user named by --user (active), or None: the system, acting as an administrator."""
    if not username:
        return None
    from kehu.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user with the username “%(value)s”.") % {"value": username}, returncode=2)
    return user

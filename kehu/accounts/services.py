"""Writes on users: disabling ends every session of the user."""

from django.contrib.sessions.models import Session
from django.db import transaction

from kehu.accounts.models import User, UserSession


def user_end_sessions(*, user: User) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    deleted, _ = Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return deleted


def user_disable(*, actor: User, user: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        user_end_sessions(user=user)


def user_set_language(*, user: User, language: str) -> None:
    if language not in User.Language.values:
        raise ValueError(language)
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def role_flags(role: str) -> dict:
    """Django admin access follows the role: administrators are staff and superusers, nobody else."""
    is_admin = role == User.Role.ADMIN
    return {"is_staff": is_admin, "is_superuser": is_admin}


def user_sessions_prune() -> int:
    """Forget the session bookkeeping of sessions that have expired or been removed."""
    from django.utils import timezone

    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    stale = UserSession.objects.exclude(session_key__in=Session.objects.values("session_key"))
    deleted, _ = stale.delete()
    return deleted

"""Session bookkeeping (housekeeping only: no domain rule here)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from kehu.accounts.models import UserSession


@receiver(user_logged_in)
def remember_session(sender, request, user, **kwargs):
    if request is not None and getattr(request, "session", None) is not None:
        if not request.session.session_key:
            request.session.save()
        UserSession.objects.get_or_create(session_key=request.session.session_key, defaults={"user": user})


@receiver(user_logged_out)
def forget_session(sender, request, user, **kwargs):
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()

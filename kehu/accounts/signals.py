"""Session bookkeeping (housekeeping only: no domain rule here)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from kehu.accounts.models import UserSession


@receiver(user_logged_in)
def remember_session(sender, request, user, **kwargs):
    if request is not None and getattr(request, "session", None) is not None:
        # A session lasts SESSION_COOKIE_AGE from log-in, however active: later writes to
        # the session do not push the end further out.
        request.session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))
        if not request.session.session_key:
            request.session.save()
        UserSession.objects.get_or_create(session_key=request.session.session_key, defaults={"user": user})


@receiver(user_logged_out)
def forget_session(sender, request, user, **kwargs):
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()

"""Personal access tokens for the API, and the secret address of a user's calendar feed (issue 14).

A token is `kehu_` followed by a random secret (`secrets.token_urlsafe`). Kehu keeps only its
SHA-256 (`key_hash`) and a short visible `prefix` to recognise it in the list; the whole token
is shown once, when it is made, and never again. A token acts as its user, with exactly the
user's visibility and permissions (kehu/api/authentication.py); a read-only token may only
read. Expired, revoked or unknown tokens, and tokens of a disabled user, are refused.

The calendar feed's address carries a random key of its own (a slug stored as is: the user's
settings page shows the address again). Resetting it makes a new key; the old address is dead.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent

TOKEN_PREFIX = "kehu_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8  # "kehu_" and the first 8 characters of the secret
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most once a minute
MAX_TOKENS_PER_USER = 50  # live tokens; more is a sign of a script gone wrong


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class AccessToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH)
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    scope = models.CharField(_("access"), max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    is_revoked = models.BooleanField(_("revoked"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        app_label = "accounts"
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_read_only(self) -> bool:
        return self.scope == self.Scope.READ

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_live(self) -> bool:
        return not self.is_revoked and not self.is_expired()


class CalendarFeed(models.Model):
    """The random key of a user's calendar feed address (/activities/feed/<key>.ics)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("user"))
    key = models.CharField(_("key"), max_length=64, unique=True)
    made_at = models.DateTimeField(_("address made at"), auto_now=True)

    class Meta:
        app_label = "accounts"
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user_id)


# --- tokens: writes ---------------------------------------------------------------------------

class TokenLimitReached(Exception):
    pass


def access_token_create(*, actor, name: str, scope: str, expires_on=None) -> tuple[AccessToken, str]:
    """A new token of `actor`. Returns the row and the raw token, which is shown once and not kept.
    `expires_on`: the last day it works (it stops at the end of that day, company time)."""
    if scope not in AccessToken.Scope.values:
        raise ValueError(scope)
    expires_at = None
    if expires_on is not None:
        expires_at = timezone.make_aware(datetime.combine(expires_on + timedelta(days=1), datetime.min.time()))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        live = AccessToken.objects.filter(user=actor, is_revoked=False).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        if live.count() >= MAX_TOKENS_PER_USER:
            raise TokenLimitReached
        token = AccessToken.objects.create(
            user=actor, name=name.strip()[:100], prefix=raw[:PREFIX_LENGTH], key_hash=token_hash(raw), scope=scope, expires_at=expires_at,
        )
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=token, changes={"scope": [None, scope]})
    return token, raw


def access_token_revoke(*, actor, token: AccessToken) -> None:
    """Revoke one of `actor`'s own tokens (a second revoke changes nothing)."""
    with transaction.atomic():
        changed = AccessToken.objects.filter(pk=token.pk, user=actor, is_revoked=False).update(is_revoked=True, revoked_at=timezone.now())
        if changed:
            token.is_revoked = True
            audit_record(actor=actor, verb=AuditEvent.Verb.REMOVE, obj=token)


# --- tokens: reads ----------------------------------------------------------------------------

def access_token_list(*, user):
    return AccessToken.objects.filter(user=user)


def access_token_for_user_or_none(*, user, token_id) -> AccessToken | None:
    try:
        return AccessToken.objects.get(user=user, pk=int(token_id))
    except (AccessToken.DoesNotExist, TypeError, ValueError):
        return None


def access_token_authenticate(*, raw: str) -> AccessToken | None:
    """The live token `raw` names, with its active user, or None. Marks it used (once a minute)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = AccessToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()
    now = timezone.now()
    if token is None or token.is_revoked or token.is_expired(now) or not token.user.is_active:
        return None
    if not secrets.compare_digest(token.key_hash, token_hash(raw)):  # the index found it; say so in constant time
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_EVERY:
        AccessToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- the calendar feed's key --------------------------------------------------------------------

def calendar_feed_get(*, user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_reset(*, actor) -> CalendarFeed:
    """A new random key for `actor`'s feed (made on first use); the old address stops working."""
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=actor, defaults={"key": key})
        if not created:
            feed.key = key
            feed.save(update_fields=["key", "made_at"])
    return feed


def calendar_feed_user_or_none(*, key: str):
    """The active user whose feed key is `key`, or None."""
    if not key or len(key) > 64:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(key=key).first()
    if feed is None or not feed.user.is_active or not secrets.compare_digest(feed.key, key):
        return None
    return feed.user

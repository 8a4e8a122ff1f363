"""Users, roles and teams (DOMAIN.md §1)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="managed_teams", verbose_name=_("managers"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        REP = "rep", _("Sales rep")
        MANAGER = "manager", _("Sales manager")
        FINANCE = "finance", _("Finance")
        ADMIN = "admin", _("Administrator")

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    name = models.CharField(_("display name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name=_("team"),
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    can_view_sensitive = models.BooleanField(
        _("may see sensitive fields"), default=False,
        help_text=_("ID numbers and bank accounts are shown unmasked. Admins and finance always may."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def is_rep(self) -> bool:
        return self.role == self.Role.REP

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @property
    def is_finance(self) -> bool:
        return self.role == self.Role.FINANCE

    @property
    def is_admin_role(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser


class UserSession(models.Model):
    """Which session keys belong to a user, so that disabling the user can end them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_keys")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")


# API tokens and the calendar feed's key (issue 14) live in their own module.
from kehu.accounts.tokens import AccessToken, CalendarFeed  # noqa: E402,F401

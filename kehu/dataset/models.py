"""A record of each import that changed something (who, when, from what, how much)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DatasetImport(models.Model):
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("by"), help_text=_("Empty: the system (the kehu import command)."),
    )
    source = models.CharField(_("source"), max_length=255)
    created = models.JSONField(_("created"), default=dict)
    updated = models.JSONField(_("updated"), default=dict)
    bad_rows = models.PositiveIntegerField(_("bad rows skipped"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.source} ({self.at:%Y-%m-%d %H:%M})"

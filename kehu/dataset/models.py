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


class ImportMapping(models.Model):
    """A column and value mapping confirmed on the upload page, used again for the next file of
    the same kind with the same headings (kehu.dataset.mapping). One install is one firm, so the
    mapping is the firm's."""

    kind = models.CharField(_("kind"), max_length=16)
    signature = models.CharField(max_length=40, editable=False)
    headings = models.JSONField(_("headings"), default=list)
    columns = models.JSONField(_("columns"), default=list)
    values = models.JSONField(_("values"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "signature"], name="dataset_mapping_kind_signature")]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self) -> str:
        return f"{self.kind}: {', '.join(self.headings)[:80]}"

"""Base model, audit events and the company-wide settings row."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import PercentField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)  # incremental sync (API updated_since)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One recorded change: who did what to which record, with the field changes.

    Events that concern a customer (its own changes, its contacts', claims, returns,
    handovers, merges) carry `customer` so its page can show one history.
    """

    class Verb(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("moved to the recycle bin")
        REMOVE = "remove", _("removed")
        RESTORE = "restore", _("restored")
        CLAIM = "claim", _("claimed from the pool")
        RELEASE = "release", _("released to the pool")
        RETURN = "return", _("returned to the pool automatically")
        HANDOVER = "handover", _("handed over")
        MERGE = "merge", _("merged")
        IMPORT = "import", _("imported")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    verb = models.CharField(_("action"), max_length=16, choices=Verb.choices)
    object_type = models.CharField(_("record type"), max_length=32)
    object_id = models.BigIntegerField(_("record id"))
    object_label = models.CharField(_("record"), max_length=255, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE,
        related_name="audit_events", verbose_name=_("customer"),
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["customer", "-at"]),
                   # issue 14 (apirest): the deletions for incremental sync (kehu/api/deletions.py)
                   models.Index(fields=["verb", "object_type", "at"], name="audit_deletion_idx")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.object_type}#{self.object_id}"


class CompanySettings(models.Model):
    """The one row of settings an admin changes without a restart (pool rules and the like)."""

    pool_return_days = models.PositiveIntegerField(
        _("return to pool after days without follow-up"), default=90,
        help_text=_("A customer with no follow-up for this many days and no open opportunity goes back to the pool. 0 switches automatic return off."),
    )
    pool_warning_days = models.PositiveIntegerField(
        _("warn the owner this many days before a return"), default=7,
    )
    pool_max_customers_per_rep = models.PositiveIntegerField(
        _("most customers a rep may hold"), default=500, help_text=_("0 means no limit."),
    )
    pool_daily_claim_limit = models.PositiveIntegerField(
        _("most pool claims per rep per day"), default=20, help_text=_("0 means no limit."),
    )
    pool_reclaim_cooldown_days = models.PositiveIntegerField(
        _("days before a former owner may reclaim a returned customer"), default=30,
    )
    key_account_visit_days = models.PositiveIntegerField(
        _("visit key accounts at least every N days"), default=30,
        help_text=_("Until tier policies set their own interval, a key account whose last visit is older than this raises an alert."),
    )
    send_daily_digest = models.BooleanField(
        _("e-mail each user a daily digest"), default=False,
        help_text=_("kehu daily e-mails each user with an address their new notifications."),
    )
    default_currency = models.CharField(_("default currency"), max_length=3, default="CNY")
    # The default tier policy (DOMAIN.md §5.4) for customers that no ranking has placed yet.
    default_max_discount_pct = PercentField(
        _("default maximum discount %"), default=Decimal("5.00"),
        help_text=_("A quote line with a larger discount needs a manager's approval, unless the customer's tier policy allows more."),
    )
    default_payment_term_days = models.PositiveIntegerField(_("default payment term (days)"), default=30)
    default_commission_rate_pct = PercentField(_("default commission rate %"), default=Decimal("2.00"))
    credit_overdue_block_days = models.PositiveIntegerField(
        _("block orders when a receivable is overdue more than N days"), default=60,
    )

    class Meta:
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")

    def __str__(self) -> str:
        return str(_("Company settings"))

    @classmethod
    def load(cls) -> "CompanySettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Sequence(models.Model):
    """Human-readable numbering (customer codes and the like), safe under concurrency."""

    name = models.CharField(max_length=32, primary_key=True)
    last = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")


class Job(models.Model):
    """A piece of long work run by the background worker (kehu.core.jobs): an import, an
    evaluation run, a large export. Who started it, how far it got, and what came of it — the
    result's link or file, or why it failed. A user sees only their own jobs (an admin all)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(_("kind"), max_length=40)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    params = models.JSONField(_("parameters"), default=dict)
    # What the job is doing now: {"msgid": ..., "params": {...}}, translated when shown.
    step = models.JSONField(_("step"), default=dict)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    # When done: {"message": {"msgid", "params"}, "url": ..., "file": ..., "filename": ..., "issues": [...]}.
    result = models.JSONField(_("result"), default=dict)
    # When failed: {"msgid", "params"} of the reason.
    error = models.JSONField(_("failure reason"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    host = models.CharField(_("worker host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("worker process"), null=True, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"

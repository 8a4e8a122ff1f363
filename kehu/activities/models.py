"""Follow-up records, planned follow-ups and notifications (DOMAIN.md §6)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.activities.querysets import ActivityQuerySet, NotificationQuerySet
from kehu.core.models import TimeStampedModel


class Activity(TimeStampedModel):
    """One contact with a customer (跟进记录), done or planned.

    Three shapes share the table:
    - a **logged** activity: status done, `at` set, `due_on` empty — this is what counts as a
      follow-up (filter `status="done", at__isnull=False`);
    - an open **planned** follow-up: status planned, `due_on` set, `at` empty;
    - a closed planned follow-up: status done with `completed_by` (the logged activity that
      fulfilled it; its own `at` stays empty, so it is never counted twice) or status
      cancelled with `cancel_reason`; `closed_at` is when it was closed.
    """

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", pgettext_lazy("follow-up kind", "Email")
        WECHAT = "wechat", _("WeChat / IM")
        OTHER = "other", _("Other")

    class VisitLevel(models.TextChoices):
        LEADERSHIP = "leadership", _("Leadership")
        TECHNICAL = "technical", _("Technical")
        BUSINESS = "business", _("Business")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="activities", verbose_name=_("customer"))
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities", verbose_name=_("contact"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities", verbose_name=_("opportunity"),
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities", verbose_name=_("owner"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by"),
    )
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.PHONE)
    visit_level = models.CharField(_("visit level"), max_length=16, choices=VisitLevel.choices, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DONE, db_index=True)
    at = models.DateTimeField(_("time"), null=True, blank=True, db_index=True)
    due_on = models.DateField(_("due"), null=True, blank=True, db_index=True)
    summary = models.TextField(_("summary"), blank=True)
    outcome = models.TextField(_("outcome / intent"), blank=True)
    planned_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_followups",
        verbose_name=_("planned at"), help_text=_("The activity during which this follow-up was planned."),
    )
    completed_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="fulfils",
        verbose_name=_("completed by"), help_text=_("The activity that fulfilled this planned follow-up."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, help_text=_("When a planned follow-up was fulfilled or cancelled."))
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=255, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["customer", "status", "-at"]),
            # with the customer: the 工作台's missed follow-ups per rep read the index alone (no
            # activity row) before the customer's visibility check
            models.Index(fields=["owner", "status", "due_on", "customer"], name="activity_owner_due_cust"),
            models.Index(fields=["owner", "status", "-at"]),
            # Covering index of the follow-up counts (kehu.activities.summaries): the live edges
            # of a period and the summary's refresh read only the index.
            models.Index(fields=["status", "at", "owner", "kind", "visit_level"], name="activity_logged_cover"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(at__isnull=False) | models.Q(completed_by__isnull=False),
                name="activity_done_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="planned") | models.Q(due_on__isnull=False), name="activity_planned_has_due",
            ),
        ]

    def __str__(self) -> str:
        if self.at is not None:
            return f"{self.get_kind_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"
        if self.due_on is not None:
            return f"{self.get_kind_display()} {self.due_on:%Y-%m-%d}"
        return str(self.get_kind_display())

    @property
    def is_logged(self) -> bool:
        return self.status == self.Status.DONE and self.at is not None

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PLANNED


class ActivityMonth(models.Model):
    """The follow-up summary (issue 12): how many follow-ups `owner` logged in `month` (its first
    day, months of the company's time zone) of `kind` at `visit_level` ("" for none) — Kehu's
    one definition of a logged follow-up (Activity: status done with `at` set), whatever later
    became of the customer. Kept exactly equal to the rows by `summaries.activity_months_refresh`
    in the transaction of every write, and checked by `kehu daily` (`activity_months_rebuild`).
    A cell without follow-ups has no row."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("owner"))
    month = models.DateField(_("month"))
    kind = models.CharField(_("type"), max_length=16, choices=Activity.Kind.choices)
    visit_level = models.CharField(_("visit level"), max_length=16, choices=Activity.VisitLevel.choices, blank=True)
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("follow-ups in a month")
        verbose_name_plural = _("follow-ups in a month")
        indexes = [models.Index(fields=["month", "owner"])]
        constraints = [
            models.UniqueConstraint(fields=["owner", "month", "kind", "visit_level"], name="activity_month_once_per_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m} {self.kind} {self.visit_level}: {self.count}"


class Notification(models.Model):
    """One line in a user's notification centre. `kehu daily` creates them, never twice for
    the same fact: (user, kind, fact_key) is unique."""

    class Kind(models.TextChoices):
        FOLLOWUP_DUE = "followup_due", _("Follow-up due today")
        FOLLOWUP_OVERDUE = "followup_overdue", _("Follow-up overdue")
        VISIT_OVERDUE = "visit_overdue", _("Key account visit overdue")
        POOL_RETURN = "pool_return", _("Returned to the pool")
        POOL_WARNING = "pool_warning", _("Returning to the pool soon")
        APPROVAL = "approval", _("Approval waiting")
        ANOMALY = "anomaly", _("Anomaly")
        QUOTE_APPROVAL = "quote_approval", _("Quote waiting for approval")
        QUOTE_DECIDED = "quote_decided", _("Quote approved or rejected")
        ORDER_BLOCKED = "order_blocked", _("Order blocked by credit control")
        ORDER_RELEASED = "order_released", _("Order released")
        FORECAST_REMINDER = "forecast_reminder", _("Forecast due")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    fact_key = models.CharField(_("fact"), max_length=120)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("customer"),
    )
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True, help_text=_("When the daily digest e-mailed it."))

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "fact_key"], name="notification_once_per_fact")]

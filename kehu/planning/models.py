"""Targets and the weekly forecast (DOMAIN.md §7, articles 000 and 003).

- `Target`: one annual target of the company, a team or a rep, for one measure (业绩 won
  amount, 回款 collections), with twelve monthly weights; its breakdown to halves, quarters,
  months and ISO weeks is computed (kehu.planning.breakdown), never stored.
- `ForecastSubmission`: a rep's commit and best case for one period, submitted on a day — a
  snapshot, never edited. `ForecastSnapshot` keeps the rep's open opportunities as they stood
  when they submitted (one compact row per rep and submission time, shared by the periods
  submitted together). A week skipped carries the last number forward (`is_carried`).
- `ForecastAdjustment`: a manager's own number for a rep's submission, with a note; beside the
  rep's, never over it.
- `PlanningSettings`: the cut-off weekday and the reminder.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField


class Measure(models.TextChoices):
    WON = "won", _("Won amount")
    COLLECTIONS = "collections", _("Collections")


class Target(models.Model):
    class Scope(models.TextChoices):
        COMPANY = "company", _("Company")
        TEAM = "team", _("Team")
        USER = "user", _("Rep")

    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name=_("team"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name=_("rep"))
    year = models.PositiveSmallIntegerField(_("year"))
    measure = models.CharField(_("measure"), max_length=12, choices=Measure.choices, default=Measure.WON)
    amount = MoneyField(_("annual target"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Twelve monthly weights as decimal strings ("" = 0); all "" = even (DATASET.md).
    weights = models.JSONField(_("monthly weights"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("updated by"))

    class Meta:
        ordering = ["year", "scope", "id"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["year", "measure"], condition=models.Q(scope="company"), name="target_one_company"),
            models.UniqueConstraint(fields=["team", "year", "measure"], condition=models.Q(scope="team"), name="target_one_per_team"),
            models.UniqueConstraint(fields=["user", "year", "measure"], condition=models.Q(scope="user"), name="target_one_per_user"),
            models.CheckConstraint(
                condition=(models.Q(scope="company", team__isnull=True, user__isnull=True)
                           | models.Q(scope="team", team__isnull=False, user__isnull=True)
                           | models.Q(scope="user", team__isnull=True, user__isnull=False)),
                name="target_scope_matches_who",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="target_amount_not_negative"),
        ]

    def __str__(self) -> str:
        who = self.user or self.team or _("Company")
        return f"{who} {self.year} {self.get_measure_display()}"


class PlanningSettings(models.Model):
    """The one row of forecast settings (an admin changes them on the settings page)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    cutoff_weekday = models.PositiveSmallIntegerField(
        _("forecast cut-off day"), choices=Weekday.choices, default=Weekday.THURSDAY,
        help_text=_("Reps submit their forecast each week by the end of this day."),
    )
    send_reminders = models.BooleanField(_("remind reps the day before the cut-off"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("forecast settings")
        verbose_name_plural = _("forecast settings")

    def __str__(self) -> str:
        return str(_("Forecast settings"))

    @classmethod
    def load(cls) -> "PlanningSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class ForecastSnapshot(models.Model):
    """A rep's open opportunities as they stood when they submitted: a compact list of
    [opportunity id, stage id, amount in cents, probability or null, expected close ISO date or
    "", forecast category] — one row per submission time, not per period."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("rep"))
    taken_at = models.DateTimeField(_("taken at"))
    lines = models.JSONField(_("opportunities"), default=list)

    class Meta:
        verbose_name = _("forecast snapshot")
        verbose_name_plural = _("forecast snapshots")
        indexes = [models.Index(fields=["user", "taken_at"])]


class ForecastSubmission(models.Model):
    class Source(models.TextChoices):
        PAGE = "page", _("Submitted by the rep")
        CARRIED = "carried", _("Carried forward")
        IMPORT = "import", _("Imported")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forecast_submissions", verbose_name=_("rep"))
    period = models.CharField(_("period"), max_length=8)  # 2026-06 or 2026-Q2
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    submitted_on = models.DateField(_("submitted on"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    commit = MoneyField(_("commit"))
    best_case = MoneyField(_("best case"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.PAGE)
    carried_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("carried from"))
    snapshot = models.ForeignKey(ForecastSnapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))

    class Meta:
        ordering = ["-submitted_on", "-recorded_at", "-id"]
        verbose_name = _("forecast submission")
        verbose_name_plural = _("forecast submissions")
        indexes = [
            models.Index(fields=["user", "period", "submitted_on"]),
            models.Index(fields=["period", "submitted_on"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(commit__gte=0), name="forecast_commit_not_negative"),
            models.CheckConstraint(condition=models.Q(best_case__isnull=True) | models.Q(best_case__gte=0), name="forecast_best_case_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.period} {self.submitted_on}"

    @property
    def is_carried(self) -> bool:
        return self.source == self.Source.CARRIED


class ForecastAdjustment(models.Model):
    """A manager's number for a rep's submission, with the reason: its own record, shown beside
    the rep's number, never over it. The latest adjustment of a submission counts."""

    submission = models.ForeignKey(ForecastSubmission, on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("submission"))
    commit = MoneyField(_("adjusted commit"))
    best_case = MoneyField(_("adjusted best case"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("forecast adjustment")
        verbose_name_plural = _("forecast adjustments")
        constraints = [
            models.CheckConstraint(condition=models.Q(commit__gte=0), name="adjustment_commit_not_negative"),
            models.CheckConstraint(condition=models.Q(best_case__isnull=True) | models.Q(best_case__gte=0), name="adjustment_best_case_not_negative"),
        ]

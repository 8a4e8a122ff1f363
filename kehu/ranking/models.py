"""Evaluation runs (DOMAIN.md §5): a run is kept as computed and never changes; any two runs
of the same model can be compared (`kehu.ranking.services.runs_compare`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField, PercentField
from kehu.core.exactjson import ExactDecoder, ExactEncoder


class EvaluationRun(models.Model):
    class Model(models.TextChoices):
        PYRAMID = "pyramid", _("Customer pyramid")
        VALUE = "value", _("Customer value")
        KEY_ACCOUNT = "key_account", _("Key account")

    model = models.CharField(_("model"), max_length=20, choices=Model.choices)
    as_of = models.DateField(_("as of"))
    window_months = models.PositiveSmallIntegerField(_("window (months)"), default=12)
    params = models.JSONField(_("parameters"), default=dict, help_text=_("All parameters used, defaults included."))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    result_count = models.PositiveIntegerField(_("results"), default=0, help_text=_("Customers in the run, prospects included."))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["model", "as_of", "id"], name="ranking_run_model_as_of")]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.model} {self.as_of}"


class EvaluationResult(models.Model):
    # No index of its own: the composite indexes below all start with the run.
    # On PostgreSQL the two foreign keys are checked by the database in bulk — one anti-join per
    # statement, by triggers (kehu/ranking/integrity.py, migration 0008) — instead of one check
    # per row and key at commit (~0.75–0.9 CPU s of a 100,000-row run). SQLite keeps its own foreign keys.
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results", verbose_name=_("run"), db_index=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"), db_index=False
    )  # indexed by (customer, run) below
    position = models.PositiveIntegerField(_("position"), help_text=_("Order of the result within its run."))
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=4, null=True, blank=True)
    klass = models.CharField(_("class"), max_length=32, db_column="class")
    # S and P in the run's window (§5.0), for every ranked customer whatever the model, so that
    # reports sum them in SQL per class; null for unranked prospects.
    sales = MoneyField(_("sales"), null=True, blank=True)
    profit = MoneyField(_("profit"), null=True, blank=True)
    indicators = models.JSONField(_("indicators"), default=dict, encoder=ExactEncoder, decoder=ExactDecoder)

    class Meta:
        ordering = ["run", "position"]
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        indexes = [
            # the report pages: a run's results in order, all or of one class
            models.Index(fields=["run", "position"], name="ranking_result_run_position"),
            # … and the class table (count, sales, profit per class of the visible results) read from
            # this index alone, joined to the customers by the customer it holds: one index, not
            # one more to fill per run (docs/performance.md, "Director report pages with margin")
            models.Index(fields=["run", "klass", "position", "customer", "sales", "profit"], name="ranking_result_class_cover"),
        ]
        # One customer once per run; customer first, so that it is also the index of a customer's
        # results (the ranking panel, comparisons): one index fewer to fill per run (issue 13).
        constraints = [models.UniqueConstraint(fields=["customer", "run"], name="ranking_result_customer_run_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.customer_id} {self.klass}"


class RankingSettings(models.Model):
    """Admin settings of one model (DOMAIN.md §5): the window and parameters a run uses unless
    told otherwise, and how often `kehu daily` runs it. One row per model, made on first use."""

    model = models.CharField(_("model"), max_length=20, choices=EvaluationRun.Model.choices, unique=True)
    window_months = models.PositiveSmallIntegerField(_("window (months)"), default=12)
    params = models.JSONField(
        _("parameters"), default=dict, blank=True, encoder=ExactEncoder, decoder=ExactDecoder,
        help_text=_("Only the parameters that differ from the defaults of DOMAIN.md §5."),
    )
    every_months = models.PositiveSmallIntegerField(
        _("run every (months)"), default=1,
        help_text=_("kehu daily runs the model when its latest run is this many months old; 0: never by schedule."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )

    SCHEDULE_DEFAULTS = {"pyramid": 1, "value": 1, "key_account": 12}

    class Meta:
        verbose_name = _("ranking settings")
        verbose_name_plural = _("ranking settings")

    def __str__(self) -> str:
        return self.get_model_display()

    @classmethod
    def load(cls, model: str) -> "RankingSettings":
        row, _created = cls.objects.get_or_create(model=model, defaults={"every_months": cls.SCHEDULE_DEFAULTS.get(model, 1)})
        return row


class TierPolicy(models.Model):
    """The terms of one tier or class (DOMAIN.md §5.4). An empty field falls through to the
    next policy that applies to the customer (key account, then value class, then pyramid
    tier) and finally to the company default (docs/rules.md, "Tier policies")."""

    model = models.CharField(_("model"), max_length=20, choices=EvaluationRun.Model.choices)
    klass = models.CharField(_("tier or class"), max_length=32)
    max_discount_pct = PercentField(_("maximum discount %"), null=True, blank=True)
    payment_term_days = models.PositiveIntegerField(_("payment term (days)"), null=True, blank=True)
    visit_interval_days = models.PositiveIntegerField(_("visit interval (days)"), null=True, blank=True)
    commission_rate_pct = PercentField(_("commission rate %"), null=True, blank=True)
    service_notes = models.TextField(
        _("service notes"), blank=True, help_text=_("Dedicated engineer, capacity priority, executive visits, fast response …")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["model", "klass"]
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        constraints = [models.UniqueConstraint(fields=["model", "klass"], name="ranking_policy_unique_class")]

    def __str__(self) -> str:
        return f"{self.model}:{self.klass}"

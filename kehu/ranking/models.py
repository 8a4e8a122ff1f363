"""Evaluation runs (DOMAIN.md §5): a run is kept as computed and never changes; any two runs
of the same model can be compared (`kehu.ranking.services.runs_compare`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.ranking.exactjson import ExactDecoder, ExactEncoder


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

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.model} {self.as_of}"


class EvaluationResult(models.Model):
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results", verbose_name=_("run"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    position = models.PositiveIntegerField(_("position"), help_text=_("Order of the result within its run."))
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=4, null=True, blank=True)
    klass = models.CharField(_("class"), max_length=32, db_column="class")
    indicators = models.JSONField(_("indicators"), default=dict, encoder=ExactEncoder, decoder=ExactDecoder)

    class Meta:
        ordering = ["run", "position"]
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        indexes = [
            models.Index(fields=["run", "rank"], name="ranking_result_run_rank"),
            models.Index(fields=["customer", "run"], name="ranking_result_customer_run"),
        ]
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="ranking_result_unique_customer")]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.customer_id} {self.klass}"

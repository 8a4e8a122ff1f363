"""The reports app's own table: the lead-source cells (`kehu.reports.source_cells`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerSourceCell(models.Model):
    """How many customers there are per (owner, lead source, stage, pyramid tier, value class,
    recycle-bin state, local month of creation): the lead-sources report's customer counts
    (docs/rules.md "### Lead sources", "The lead-source cells"). Kept exactly equal to the customers table by
    database triggers on every insert, update and delete of a customer (every write path: services,
    importers, queryset updates, the admin, raw SQL), in the writer's transaction;
    `kehu summaries rebuild` checks it and rewrites it when it differs. The fields carry the
    customer's names (`owner`, `lead_source`, `is_deleted`, …) so the reports' customer scope (a Q
    on customers) filters these rows as it filters customers. Rows may hold n = 0 (read n > 0)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")
    owner_key = models.BigIntegerField(default=0)  # the owner's id, 0 for the pool: the unique key (NULLs are distinct)
    lead_source = models.CharField(max_length=32, blank=True)
    stage = models.CharField(max_length=16)
    pyramid_tier = models.CharField(max_length=16, blank=True)
    value_class = models.CharField(max_length=24, blank=True)
    is_deleted = models.BooleanField(default=False)
    created_month = models.DateField()  # first day of the month of created_at, in the company's time zone
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("lead-source customer cell")
        verbose_name_plural = _("lead-source customer cells")
        constraints = [models.UniqueConstraint(
            fields=["owner_key", "lead_source", "stage", "pyramid_tier", "value_class", "is_deleted", "created_month"],
            name="sourcecell_key")]
        indexes = [models.Index(fields=["is_deleted", "lead_source", "stage", "pyramid_tier", "value_class", "owner", "created_month", "n"],
                                name="sourcecell_read")]

    def __str__(self) -> str:
        return f"{self.owner_key}/{self.lead_source}/{self.stage}/{self.created_month}: {self.n}"


class SourceRevenueMonth(models.Model):
    """Σ revenue (integer cents) and the number of monthly revenue rows (`sales.RevenueMonth`)
    per (month, the order's owner, the customer's lead source and three referrer columns, whether
    the customer is live — not in the recycle bin nor merged away): the lead-sources report's
    revenue by source and by referrer for whole months (docs/rules.md "### Lead sources", "The lead-source cells"). Kept exactly equal to RevenueMonth joined to
    its customer by database triggers on every write of either table (`kehu.reports.source_cells`).
    Rows may hold rows = 0 (read rows > 0)."""

    month = models.DateField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")
    owner_key = models.BigIntegerField(default=0)  # the owner's id, 0 for none: the unique key (NULLs are distinct)
    lead_source = models.CharField(max_length=32, blank=True)
    # the customer's referrer columns (0 for none: the unique key; NULLs are distinct)
    referrer_customer_key = models.BigIntegerField(default=0)
    referrer_contact_key = models.BigIntegerField(default=0)
    referrer_agent = models.CharField(max_length=100, blank=True)
    live = models.BooleanField(default=True)
    cents = models.BigIntegerField(default=0)
    rows = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("lead-source revenue month")
        verbose_name_plural = _("lead-source revenue months")
        constraints = [models.UniqueConstraint(
            fields=["month", "owner_key", "lead_source", "referrer_customer_key", "referrer_contact_key", "referrer_agent", "live"],
            name="sourcerevenue_key")]
        indexes = [models.Index(fields=["live", "month", "owner", "lead_source", "referrer_customer_key", "referrer_contact_key",
                                        "referrer_agent", "cents", "rows"], name="sourcerevenue_read")]

    def __str__(self) -> str:
        return f"{self.month}/{self.owner_key}/{self.lead_source}: {self.cents}"

"""Selling (DOMAIN.md §4): products, opportunities with their stage history, quotes,
contracts and sales orders. Money is MoneyField (integer cents); unit prices, quantities and
percentages are exact scaled integers; line revenue and cost are computed once, when a line
is written, and stored in cents so that SQL sums them exactly."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.fields import MoneyField, PercentField, QuantityField, UnitPriceField
from kehu.core.models import TimeStampedModel
from kehu.customers.models import BuyingFactor, buying_factors_q
from kehu.customers.querysets import CustomerScopedQuerySet


class Product(TimeStampedModel):
    """A product or service we sell. Prices and costs are exact to 4 decimals (never floats)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    list_price = UnitPriceField(_("list price"))
    unit_cost = UnitPriceField(_("unit cost"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class OpportunityStage(models.Model):
    """An opportunity stage (admin setting): order, default probability, closed/won."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(pgettext_lazy("sort position", "order"), default=0)
    probability = models.PositiveSmallIntegerField(_("default probability %"), default=0)
    is_closed = models.BooleanField(_("closed"), default=False)
    is_won = models.BooleanField(_("won"), default=False)
    forecast_category = models.CharField(_("default forecast category"), max_length=16, default="pipeline")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("opportunity stage")
        verbose_name_plural = _("opportunity stages")
        constraints = [models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_probability_max_100")]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class Opportunity(TimeStampedModel):
    class ForecastCategory(models.TextChoices):
        PIPELINE = "pipeline", _("Pipeline")
        BEST_CASE = "best_case", _("Best case")
        COMMIT = "commit", _("Commit")
        CLOSED = "closed", _("Closed")
        OMITTED = "omitted", _("Omitted")

    BuyingFactor = BuyingFactor  # one list of factors, shared with the customer (kehu.customers.models)

    code = models.CharField(_("code"), max_length=32, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="opportunities", verbose_name=_("customer"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("owner"))
    title = models.CharField(pgettext_lazy("opportunity", "title"), max_length=200)
    stage = models.ForeignKey(OpportunityStage, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("stage"))
    probability = models.PositiveSmallIntegerField(_("probability %"), null=True, blank=True, help_text=_("Empty: the stage's default."))
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    expected_close_on = models.DateField(_("expected close"), null=True, blank=True, db_index=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, db_index=True)
    product_lines = models.CharField(_("product lines"), max_length=255, blank=True)
    forecast_category = models.CharField(_("forecast category"), max_length=16, choices=ForecastCategory.choices, default=ForecastCategory.PIPELINE)
    buying_factor = models.CharField(_("primary buying factor"), max_length=16, choices=BuyingFactor.choices, blank=True)
    buying_factor_second = models.CharField(_("second buying factor"), max_length=16, choices=BuyingFactor.choices, blank=True)
    competitors = models.CharField(_("competitors"), max_length=255, blank=True)
    lost_reason = models.TextField(_("lost reason"), blank=True)
    # How many times the expected close moved to a later month (a slipping deal at 2 or more).
    push_count = models.PositiveIntegerField(_("times pushed out"), default=0)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["owner", "stage"]), models.Index(fields=["customer", "stage"]),
            # The Friday review's slipping deals: few rows, found without reading the period's others.
            models.Index(fields=["expected_close_on"], condition=models.Q(push_count__gte=2), name="opportunity_slipping_idx"),
            # The pipeline board: a column's cards in card order (stage, expected close, larger amount first)
            # stop after a page; the column sums read only this index (covering), not the rows.
            models.Index(fields=["stage", "expected_close_on", "-amount", "customer", "closed_on", "probability"],
                         name="opportunity_board_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(probability__isnull=True) | models.Q(probability__lte=100), name="opportunity_probability_max_100"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="opportunity_amount_not_negative"),
            models.CheckConstraint(condition=buying_factors_q(), name="opportunity_buying_factors_ranked"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class OpportunityStageChange(models.Model):
    """Every stage change, with its time and user (velocity and funnel reports)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(OpportunityStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(OpportunityStage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"), db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("opportunity stage change")
        verbose_name_plural = _("opportunity stage changes")
        ordering = ["at", "id"]
        # When a deal entered a stage (the funnel's velocity), and a period's changes (the funnel):
        # read from the index alone.
        indexes = [models.Index(fields=["opportunity", "to_stage", "at"], name="stagechange_entered_idx"),
                   models.Index(fields=["at", "opportunity", "from_stage", "to_stage"], name="stagechange_period_idx")]


class Quote(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")

    code = models.CharField(_("code"), max_length=32, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="quotes", verbose_name=_("customer"))
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes", verbose_name=_("opportunity"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    total = MoneyField(_("total"), default=0)
    max_discount_pct = PercentField(_("largest discount %"), default=0)
    allowed_discount_pct = PercentField(_("discount allowed by policy %"), default=0)
    discount_policy = models.CharField(
        _("discount policy"), max_length=120, blank=True,
        help_text=_("The tier policy that set the allowed discount at submission; empty: the company default."),
    )
    payment_term_days = models.PositiveIntegerField(
        _("payment term (days)"), null=True, blank=True, help_text=_("Empty: the customer's policy."),
    )
    allowed_payment_term_days = models.PositiveIntegerField(_("payment term allowed by policy (days)"), null=True, blank=True)
    payment_term_policy = models.CharField(
        _("payment term policy"), max_length=120, blank=True,
        help_text=_("The tier policy that set the allowed payment term at submission; empty: the company default."),
    )
    notes = models.TextField(_("notes"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("submitted by"),
    )
    approval_comment = models.TextField(_("approval comment"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    @property
    def discount_policy_label(self) -> str:
        from kehu.sales.policy import policy_label

        return policy_label(self.discount_policy)

    @property
    def payment_term_policy_label(self) -> str:
        from kehu.sales.policy import policy_label

        return policy_label(self.payment_term_policy)

    @property
    def lines_text(self) -> str:
        """The lines as one text ("P1 × 3 @ 100 −12.5 %; …", kehu.sales.lines.lines_text): what the
        stale-edit guard of the quote form compares, and shows when somebody changed them meanwhile."""
        from kehu.sales.lines import lines_text

        return lines_text(self.lines.select_related("product").order_by("id"))

    def __str__(self) -> str:
        return self.code


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    quantity = QuantityField(_("quantity"))
    unit_price = UnitPriceField(_("unit price"))
    discount_pct = PercentField(_("discount %"), default=0)
    revenue = MoneyField(_("line amount"), default=0)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(discount_pct__gte=0, discount_pct__lte=100), name="quoteline_discount_0_100")]


class Contract(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="contracts", verbose_name=_("customer"))
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts", verbose_name=_("opportunity"))
    quote = models.ForeignKey(Quote, null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts", verbose_name=_("quote"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("owner"))
    signed_on = models.DateField(_("signed on"), db_index=True)
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payment_term_days = models.PositiveIntegerField(_("payment term (days)"), null=True, blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="contract_amount_not_negative")]

    def __str__(self) -> str:
        return self.code


class SalesOrder(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        BLOCKED = "blocked", _("Blocked by credit control")
        CONFIRMED = "confirmed", _("Confirmed")
        SHIPPED = "shipped", _("Shipped")

    code = models.CharField(_("code"), max_length=32, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="orders", verbose_name=_("customer"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="orders", verbose_name=_("owner"))
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders", verbose_name=_("contract"))
    order_date = models.DateField(_("order date"), db_index=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CONFIRMED, db_index=True)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-order_date", "-id"]
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        indexes = [
            models.Index(fields=["customer", "order_date"]),
            # the order list filtered by status (issue 13): a rep's or manager's customers, and everyone's by date
            models.Index(fields=["customer", "status", "order_date"], name="order_customer_status_idx"),
            models.Index(fields=["status", "order_date"], name="order_status_date_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class OrderLine(models.Model):
    """revenue = round(quantity × unit price × (1 − discount ÷ 100), 2); cost = round(quantity ×
    unit cost, 2) (DOMAIN.md §5.0), computed by kehu.sales.lines when written."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    quantity = QuantityField(_("quantity"))
    unit_price = UnitPriceField(_("unit price"))
    discount_pct = PercentField(_("discount %"), default=0)
    unit_cost = UnitPriceField(_("unit cost"))
    revenue = MoneyField(_("revenue"))
    cost = MoneyField(_("cost"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [models.CheckConstraint(condition=models.Q(discount_pct__gte=0, discount_pct__lte=100), name="orderline_discount_0_100")]


class RevenueMonth(models.Model):
    """Σ of the order lines of one customer's orders owned by one user (none: `owner` null)
    dated in one month, in one currency: revenue, cost and the number of lines. A summary kept
    exactly equal to the lines by `kehu.sales.summaries` on every write of orders and lines,
    for the reports that sum months of revenue (docs/rules.md "### The revenue summary").
    Customers in the recycle bin or merged away keep their rows: readers join the customer."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("owner"))
    month = models.DateField(_("month (its first day)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    revenue = MoneyField(_("revenue"))
    cost = MoneyField(_("cost"))
    lines = models.PositiveIntegerField(_("order lines"), default=0)

    class Meta:
        verbose_name = _("monthly revenue summary")
        verbose_name_plural = _("monthly revenue summary")
        constraints = [
            # One row per cell; NULL owners are made unique by a partial index of their own
            # (portable: SQLite and PostgreSQL 15 without NULLS NOT DISTINCT).
            models.UniqueConstraint(fields=["customer", "owner", "month", "currency"], condition=models.Q(owner__isnull=False),
                                    name="revenuemonth_cell"),
            models.UniqueConstraint(fields=["customer", "month", "currency"], condition=models.Q(owner__isnull=True),
                                    name="revenuemonth_cell_no_owner"),
        ]
        # (month, owner) first, then every column the reads sum: a period's rows are read from
        # the index alone (SQLite: 10 ms instead of 100 for 7 months at 100,000 customers).
        indexes = [models.Index(fields=["month", "owner", "customer", "currency", "revenue", "cost", "lines"], name="revenuemonth_month_owner"),
                   models.Index(fields=["customer", "month"], name="revenuemonth_customer_month")]


class CategoryRevenueMonth(models.Model):
    """Σ line revenue and the number of lines of one customer's orders dated in one month, in one
    currency, of the products of one category (the product's `category` text as stored, so a
    category changed on a product moves its lines: `kehu.sales.summaries` refreshes the customers
    who bought it). Kept exactly equal to the lines by the same calls as `RevenueMonth`, for the
    share-of-wallet report (docs/rules.md "### The revenue summary")."""

    # No index of its own: `categoryrevenuemonth_read` and the unique cell both start with the
    # customer. With one, PostgreSQL read the wallet's customers through it and fetched every
    # month row from the table (16,000 buffers, 18 ms) instead of the covering index (6,000, 14 ms).
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"),
                                 db_index=False)
    category = models.CharField(_("category"), max_length=100, blank=True)
    month = models.DateField(_("month (its first day)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    revenue = MoneyField(_("revenue"))
    lines = models.PositiveIntegerField(_("order lines"), default=0)

    class Meta:
        verbose_name = _("monthly revenue summary by category")
        verbose_name_plural = _("monthly revenue summary by category")
        constraints = [models.UniqueConstraint(fields=["customer", "category", "month", "currency"], name="categoryrevenuemonth_cell")]
        # A customer's months with every column the wallet sums: read from the index alone.
        indexes = [models.Index(fields=["customer", "month", "category", "currency", "revenue"], name="categoryrevenuemonth_read")]

"""Collections and credit (DOMAIN.md §4, §5.0): payment plans, receivables, payments and how
they were applied, credit holds, write-offs, quality losses. Open amounts never go below zero
(database constraints), and every balance change is made with a row lock or an UPDATE with an
expression, never read-decide-write."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import TimeStampedModel
from kehu.customers.querysets import CustomerScopedQuerySet


class InstalmentQuerySet(CustomerScopedQuerySet):
    customer_path = "contract__customer"


class Instalment(models.Model):
    """One instalment of a contract's payment plan (回款计划)."""

    contract = models.ForeignKey("sales.Contract", on_delete=models.CASCADE, related_name="instalments", verbose_name=_("contract"))
    seq = models.PositiveSmallIntegerField(_("instalment"))
    due_on = models.DateField(_("due"), db_index=True)
    amount = MoneyField(_("amount"))
    applied = MoneyField(_("received"), default=0)
    paid_in_full_on = models.DateField(_("paid in full on"), null=True, blank=True)

    objects = InstalmentQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "seq"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        constraints = [
            models.UniqueConstraint(fields=["contract", "seq"], name="instalment_contract_seq_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(condition=Q(applied__gte=0) & Q(applied__lte=F("amount")), name="instalment_applied_within_amount"),
        ]
        indexes = [
            # the aging's due, unpaid instalments summed without reading the table (kehu.finance.aging.instalment_totals)
            models.Index(fields=["due_on", "contract", "amount", "applied"], condition=Q(applied__lt=F("amount")), name="instalment_open_due_idx"),
            # the aging page's per-contract sums read in contract order, no sort (kehu.finance.aging._customer_rows_sql)
            models.Index(fields=["contract", "due_on", "amount", "applied"], condition=Q(applied__lt=F("amount")), name="instalment_open_contract_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}#{self.seq}"


class Receivable(TimeStampedModel):
    """Money a customer owes for a shipment (应收账款)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="receivables", verbose_name=_("customer"))
    order = models.ForeignKey("sales.SalesOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="receivables", verbose_name=_("order"))
    amount = MoneyField(_("amount"))
    open_amount = MoneyField(_("open amount"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    issued_on = models.DateField(_("issued on"), db_index=True)
    due_on = models.DateField(_("due"), db_index=True)
    written_off = MoneyField(_("written off"), default=0)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receivable_amount_positive"),
            models.CheckConstraint(condition=Q(open_amount__gte=0) & Q(open_amount__lte=F("amount")), name="receivable_open_within_amount"),
        ]
        indexes = [
            # the aging's open receivables summed without reading the table (kehu.finance.aging.company_totals)
            models.Index(fields=["due_on", "currency", "open_amount", "customer"], condition=Q(open_amount__gt=0), name="receivable_open_due_idx"),
            # the aging page's per-customer sums read in customer order, no sort (kehu.finance.aging._customer_rows_sql)
            models.Index(fields=["customer", "currency", "due_on", "open_amount"], condition=Q(open_amount__gt=0), name="receivable_open_customer_idx"),
        ]


class PaymentQuerySet(CustomerScopedQuerySet):
    def not_reversed(self):
        """The payments that count: a reversed one (红冲) stays on record but counts nowhere."""
        return self.filter(reversed_at__isnull=True)


class Payment(TimeStampedModel):
    """Money received (回款). Applied to the instalment it names, else to the contract's open
    instalments oldest first, else kept on account (DOMAIN.md §5.0).

    A payment recorded in error is reversed (红冲, `services.payments.payment_reverse`): it stays,
    with who reversed it, when and why, but applies to nothing and counts in no sum."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="payments", verbose_name=_("customer"))
    contract = models.ForeignKey("sales.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="payments", verbose_name=_("contract"))
    seq = models.PositiveSmallIntegerField(_("instalment"), null=True, blank=True)
    receivable = models.ForeignKey(Receivable, null=True, blank=True, on_delete=models.PROTECT, related_name="payments", verbose_name=_("receivable"))
    paid_on = models.DateField(_("paid on"), db_index=True)
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    on_account = MoneyField(_("on account"), default=0, help_text=_("The part not applied to any instalment or receivable."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("recorded by"))
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("reversed by"))
    reversal_reason = models.TextField(_("reason for the reversal"), blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(on_account__gte=0) & Q(on_account__lte=F("amount")), name="payment_on_account_within_amount"),
            models.CheckConstraint(condition=Q(reversed_at__isnull=True) | Q(on_account=0), name="payment_reversed_applies_nothing"),
        ]
        indexes = [
            # the commission's payments of a period read without the table (kehu.finance.commission._rep_totals)
            models.Index(fields=["paid_on", "currency", "contract", "customer"], name="payment_paid_cover_idx"),
        ]

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class PaymentAllocation(models.Model):
    """How much of a payment went to which instalment or receivable."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    instalment = models.ForeignKey(Instalment, null=True, blank=True, on_delete=models.CASCADE, related_name="allocations")
    receivable = models.ForeignKey(Receivable, null=True, blank=True, on_delete=models.CASCADE, related_name="allocations")
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=(Q(instalment__isnull=False) & Q(receivable__isnull=True)) | (Q(instalment__isnull=True) & Q(receivable__isnull=False)),
                name="allocation_one_target",
            ),
        ]
        indexes = [
            # the commission's lines of a payment read without the table (kehu.finance.commission._rep_totals)
            models.Index(fields=["payment", "amount", "receivable"], name="allocation_payment_cover_idx"),
        ]


class CreditEvent(models.Model):
    """A credit-control block of an order, or its release by finance or a manager (with a reason)."""

    class Kind(models.TextChoices):
        BLOCK = "block", _("Blocked")
        RELEASE = "release", _("Released")

    order = models.ForeignKey("sales.SalesOrder", on_delete=models.CASCADE, related_name="credit_events", verbose_name=_("order"))
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit event")
        verbose_name_plural = _("credit events")
        ordering = ["-at", "-id"]


class WriteOff(models.Model):
    """A bad-debt write-off (finance); it reduces profit in the window of its date (§5.0)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="write_offs", verbose_name=_("customer"))
    receivable = models.ForeignKey(Receivable, null=True, blank=True, on_delete=models.SET_NULL, related_name="write_offs", verbose_name=_("receivable"))
    written_on = models.DateField(_("date"), db_index=True)
    amount = MoneyField(_("amount"))
    reason = models.TextField(_("reason"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ["-written_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="writeoff_amount_positive")]


class QualityLoss(models.Model):
    """A quality loss with a customer (key-account evaluation, §5.3)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="quality_losses", verbose_name=_("customer"))
    occurred_on = models.DateField(_("date"), db_index=True)
    amount = MoneyField(_("amount"))
    note = models.TextField(_("note"), blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("quality loss")
        verbose_name_plural = _("quality losses")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="qualityloss_amount_not_negative")]

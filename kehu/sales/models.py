"""Selling (DOMAIN.md §4). For now the product catalogue; opportunities, quotes, contracts
and orders come with their issues."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import UnitPriceField
from kehu.core.models import TimeStampedModel


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

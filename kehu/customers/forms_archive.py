"""Forms of the key-account archive pages. They parse input only; the services validate and save."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.money import CURRENCIES, MoneyError, quantize_cents
from kehu.core.forms import SeenFormMixin, StyledFormMixin, seen_sign, seen_values
from kehu.customers.models import ArchiveSection, CategorySpend
from kehu.customers.services.archive import MAX_TEXT, MIN_YEAR

SECTION_HELP = {
    ArchiveSection.Section.PRODUCTION_SCALE: _("Output, plants, staff, capacity and how full it is."),
    ArchiveSection.Section.PRODUCT_STRUCTURE: _("What the customer makes and sells, and the share of each product line."),
    ArchiveSection.Section.PRODUCTION_LINES: _("Lines, their equipment, age and condition; what they buy from us for them."),
    ArchiveSection.Section.DEVELOPMENT_PLANS: _("Expansion, new products, investments, relocations — with dates when known."),
    ArchiveSection.Section.MARKET_SHARE: _("The customer's position among its competitors."),
}
CATEGORY_DATALIST_ID = "archive-categories"


class ArchiveSeenMixin(SeenFormMixin):
    """The stale-edit guard (kehu.core.forms.SeenFormMixin) for a plain form of an archive row:
    `instance` is the row, or for a section not written yet an unsaved one with its empty
    values, so that a section somebody wrote first meanwhile is a change too."""

    seen_fields: tuple = ()

    def seen_field_names(self) -> list[str]:
        return list(self.seen_fields)

    def sign_seen(self) -> None:
        if not self.is_bound:
            self.initial["seen"] = seen_sign(seen_values(self.instance, self.seen_field_names()))

    def add_stale_error(self, error, current=None) -> None:
        """Show the refusal; the next save compares with `current` (the row as it is now)."""
        super().add_stale_error(error)
        if current is not None:
            self.data = self.data.copy()
            self.data[self.add_prefix("seen")] = seen_sign(seen_values(current, self.seen_field_names()))


class ArchiveSectionForm(ArchiveSeenMixin, StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Text"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)
    share_pct = forms.DecimalField(
        label=_("Market share (%)"), required=False, min_value=0, max_value=100, max_digits=4, decimal_places=1,
        help_text=_("The customer's share of its own market, e.g. 12.5."),
    )

    seen_fields = ("text", "share_pct")

    def __init__(self, *args, section: str, row: ArchiveSection | None = None, **kwargs):
        self.instance = row if row is not None else ArchiveSection(section=section)
        super().__init__(*args, **kwargs)
        self.section = section
        if section != ArchiveSection.Section.MARKET_SHARE:
            del self.fields["share_pct"]
        self.fields["text"].label = ArchiveSection.Section(section).label
        self.fields["text"].help_text = SECTION_HELP.get(section, "")
        self.fields["text"].widget.attrs["rows"] = 6
        self.sign_seen()

    def service_arguments(self) -> dict:
        return {"text": self.cleaned_data.get("text", ""), "share_pct": self.cleaned_data.get("share_pct")}


class CategorySpendForm(ArchiveSeenMixin, StyledFormMixin, forms.Form):
    category = forms.CharField(
        label=_("Product category"), max_length=100,
        help_text=_("The category as the customer buys it; pick one of ours from the list or type your own."),
    )
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR)
    annual_spend = forms.CharField(
        label=_("Annual spend"), max_length=30,
        help_text=_("What the customer spends on this category in the year, from all suppliers, e.g. 1,250,000."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES])
    growth_pct = forms.DecimalField(
        label=_("Growth (%)"), required=False, min_value=-100, max_value=10000, max_digits=6, decimal_places=1,
        help_text=_("Only when the previous year is not recorded: with both years, the growth is computed."),
    )
    note = forms.CharField(label=_("Source or note"), required=False, max_length=200)

    seen_fields = ("category", "year", "annual_spend", "currency", "growth_pct", "note")

    def __init__(self, *args, spend: CategorySpend | None = None, currency: str = "CNY", **kwargs):
        self.instance = spend
        super().__init__(*args, **kwargs)
        if spend is not None:
            for name in self.seen_fields:
                self.initial.setdefault(name, getattr(spend, name))
        else:
            self.initial.setdefault("year", timezone.localdate().year - 1)
            self.initial.setdefault("currency", currency if currency in CURRENCIES else "CNY")
        last = timezone.localdate().year + 1
        self.fields["year"].max_value = last
        self.fields["year"].validators.append(MaxValueValidator(last))
        self.fields["year"].widget.attrs.update({"max": last, "inputmode": "numeric"})
        self.fields["category"].widget.attrs.update({"list": CATEGORY_DATALIST_ID, "autocomplete": "off"})
        self.fields["annual_spend"].widget.attrs["inputmode"] = "decimal"
        if spend is not None:
            self.sign_seen()
        else:
            del self.fields["seen"]

    def clean_annual_spend(self):
        """An exact amount; thousands separators and a ¥ sign are allowed (core.money.to_decimal)."""
        try:
            amount = quantize_cents(self.cleaned_data["annual_spend"])
        except MoneyError as exc:
            raise ValidationError(_("Enter an amount such as 1250000.00."), code="invalid") from exc
        if amount < 0:
            raise ValidationError(_("The annual spend cannot be negative."), code="min_value")
        return amount

    def service_arguments(self) -> dict:
        c = self.cleaned_data
        return {k: c.get(k) for k in ("category", "year", "annual_spend", "currency", "growth_pct", "note")}

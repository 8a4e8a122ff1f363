"""Writes on the key-account archive: sections and the customer's spend per product category.

Who may write: whoever may edit the customer's sales data (`can_edit_customer`); finance
reads only. Every write is atomic, stamps who changed the row and when, and records an
audit event on the customer, so its history shows the change with the old and new values.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record, diff, snapshot
from kehu.core.models import AuditEvent
from kehu.core.money import CURRENCIES, MoneyError, quantize_cents, to_decimal
from kehu.customers.archive.selectors import category_key, normalize_category
from kehu.customers.errors import ArchiveError
from kehu.customers.models import ArchiveSection, CategorySpend, Customer
from kehu.customers.services.records import check_fresh
from kehu.customers import permissions

SECTION_AUDITED = ["text", "share_pct"]
SPEND_AUDITED = ["category", "year", "annual_spend", "currency", "growth_pct", "note"]
MAX_TEXT = 10000
MIN_YEAR = 1990
MIN_GROWTH, MAX_GROWTH = Decimal("-100"), Decimal("10000")


def _lock_editable(actor, customer: Customer) -> Customer:
    """The customer row, locked, after checking the actor may edit it (checked on the fresh row)."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if not permissions.can_edit_customer(actor, locked):
        raise PermissionDenied
    return locked


def _percent(value, *, low: Decimal, high: Decimal, message) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = to_decimal(value)
    except MoneyError as exc:
        raise ArchiveError(message) from exc
    if not low <= number <= high:
        raise ArchiveError(message)
    return number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def archive_section_update(*, actor, customer: Customer, section: str, text: str, share_pct=None,
                           seen: dict | None = None) -> ArchiveSection:
    """Write one section of the archive (created on the first save). `share_pct` (0–100, one
    decimal) belongs to the market-share section only. Saving unchanged values changes nothing.
    `seen`: the values the form showed; a section somebody changed since (or wrote first)
    refuses the save with StaleEdit."""
    if not permissions.can_edit_customer(actor, customer):
        raise PermissionDenied
    if section not in ArchiveSection.Section.values:
        raise ArchiveError(_("Unknown archive section."))
    text = (text or "").strip().replace("\r\n", "\n")
    if len(text) > MAX_TEXT:
        raise ArchiveError(_("Keep a section under %(max)d characters.") % {"max": MAX_TEXT})
    if section == ArchiveSection.Section.MARKET_SHARE:
        share = _percent(share_pct, low=Decimal("0"), high=Decimal("100"),
                         message=_("Enter the market share as a percentage from 0 to 100, e.g. 12.5."))
    elif share_pct not in (None, ""):
        raise ArchiveError(_("Only the market share section has a percentage."))
    else:
        share = None
    with transaction.atomic():
        customer = _lock_editable(actor, customer)
        row = ArchiveSection.objects.filter(customer=customer, section=section).first()
        created = row is None
        if created:
            row = ArchiveSection(customer=customer, section=section)
        check_fresh(row, seen=seen)  # an unsaved row has the empty values a form of a new section showed
        before = snapshot(row, SECTION_AUDITED) if not created else {}
        row.text, row.share_pct = text, share
        after = snapshot(row, SECTION_AUDITED)
        changes = diff(before, after) if not created else {k: [None, v] for k, v in after.items() if v not in ("", None)}
        if not changes:
            return row
        row.updated_by, row.updated_at = actor, timezone.now()
        row.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE if created else AuditEvent.Verb.UPDATE,
                     obj=row, customer=customer, changes=changes)
    return row


def _clean_spend(*, category, year, annual_spend, currency, growth_pct, note) -> dict:
    category = normalize_category(category)
    if not category:
        raise ArchiveError(_("Name the product category."))
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise ArchiveError(_("Enter the year as four digits, e.g. 2024.")) from exc
    last = timezone.localdate().year + 1
    if not MIN_YEAR <= year <= last:
        raise ArchiveError(_("Enter a year from %(first)d to %(last)d.") % {"first": MIN_YEAR, "last": last})
    try:
        amount = quantize_cents(annual_spend)
    except (MoneyError, InvalidOperation) as exc:
        raise ArchiveError(_("Enter the annual spend as an amount such as 1250000.00.")) from exc
    if amount < 0:
        raise ArchiveError(_("The annual spend cannot be negative."))
    if abs(amount) >= Decimal(10) ** 16:
        raise ArchiveError(_("The annual spend is too large."))
    currency = (currency or "").strip().upper()
    if currency not in CURRENCIES:
        raise ArchiveError(_("Choose a currency: %(list)s.") % {"list": ", ".join(CURRENCIES)})
    growth = _percent(growth_pct, low=MIN_GROWTH, high=MAX_GROWTH,
                      message=_("Enter the growth as a percentage from -100 to 10000, e.g. 8.5."))
    return {
        "category": category, "year": year, "annual_spend": amount, "currency": currency,
        "growth_pct": growth, "note": (note or "").strip()[:200],
    }


def category_spend_set(*, actor, customer: Customer, category: str, year, annual_spend, currency: str = "CNY",
                       growth_pct=None, note: str = "", spend: CategorySpend | None = None,
                       seen: dict | None = None) -> CategorySpend:
    """Record (or, with `spend`, change) what `customer` spends on `category` in `year`.

    One row per customer, category and year; categories that differ only in case or spacing
    are the same. `annual_spend` is an exact amount (Decimal, int or text — never a float),
    kept to the cent. `growth_pct` is the growth the customer states (optional; the archive
    shows the growth computed from the previous year's row when there is one). `seen`: the
    values the edit form showed (a row somebody changed since refuses the save, StaleEdit).
    """
    if spend is not None and spend.customer_id != customer.pk:
        raise PermissionDenied
    if not permissions.can_edit_customer(actor, customer):
        raise PermissionDenied
    values = _clean_spend(category=category, year=year, annual_spend=annual_spend, currency=currency,
                          growth_pct=growth_pct, note=note)
    with transaction.atomic():
        customer = _lock_editable(actor, customer)
        same_year = CategorySpend.objects.filter(customer=customer, year=values["year"])
        if spend is not None:
            same_year = same_year.exclude(pk=spend.pk)
        if any(category_key(c) == category_key(values["category"]) for c in same_year.values_list("category", flat=True)):
            raise ArchiveError(_("The spend on %(category)s in %(year)d is already recorded; change that row instead.") % {
                "category": values["category"], "year": values["year"]})
        if spend is None:
            row = CategorySpend(customer=customer, **values)
            changes = {k: [None, v] for k, v in snapshot(row, SPEND_AUDITED).items() if v not in ("", None)}
            verb = AuditEvent.Verb.CREATE
        else:
            row = CategorySpend.objects.select_for_update().get(pk=spend.pk, customer=customer)
            check_fresh(row, seen=seen)
            before = snapshot(row, SPEND_AUDITED)
            for k, v in values.items():
                setattr(row, k, v)
            changes = diff(before, snapshot(row, SPEND_AUDITED))
            if not changes:
                return row
            verb = AuditEvent.Verb.UPDATE
        row.updated_by, row.updated_at = actor, timezone.now()
        row.save()
        audit_record(actor=actor, verb=verb, obj=row, customer=customer, changes=changes)
    return row


def category_spend_delete(*, actor, spend: CategorySpend) -> None:
    """Remove one spend row; the history keeps what it said."""
    with transaction.atomic():
        customer = _lock_editable(actor, spend.customer)
        row = CategorySpend.objects.select_for_update().filter(pk=spend.pk, customer=customer).first()
        if row is None:
            return  # already gone (a second click): nothing to do
        changes = {k: [v, None] for k, v in snapshot(row, SPEND_AUDITED).items() if v not in ("", None)}
        audit_record(actor=actor, verb=AuditEvent.Verb.REMOVE, obj=row, customer=customer, changes=changes)
        row.delete()


def archive_merge(*, actor, kept: Customer, merged: Customer) -> dict:
    """For hooks.MERGE_MOVERS: the merged record's archive joins the kept one's. A section the
    kept record has written stays; an empty one takes the merged record's. Spend rows move unless
    the kept record has the same category and year (the kept record's row wins). Called inside
    the merge's transaction; the merge itself is audited."""
    moved = 0
    kept_sections = {s.section: s for s in ArchiveSection.objects.filter(customer=kept)}
    for row in ArchiveSection.objects.filter(customer=merged):
        mine = kept_sections.get(row.section)
        if mine is None:
            ArchiveSection.objects.filter(pk=row.pk).update(customer=kept)
            moved += 1
        elif not mine.text.strip() and mine.share_pct is None:
            mine.delete()
            ArchiveSection.objects.filter(pk=row.pk).update(customer=kept)
            moved += 1
    taken = {(category_key(c), y) for c, y in CategorySpend.objects.filter(customer=kept).values_list("category", "year")}
    for row in CategorySpend.objects.filter(customer=merged):
        if (category_key(row.category), row.year) not in taken:
            CategorySpend.objects.filter(pk=row.pk).update(customer=kept)
            moved += 1
    return {_("archive entries"): moved} if moved else {}

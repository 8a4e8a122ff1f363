"""Reads of the key-account archive. Every one starts from the customer the user sees.

The growth rule (docs/rules.md): a category's growth in a year is computed from the
previous year's row of the same category and currency when that row exists with a spend
above zero — (spend − previous) ÷ previous × 100, rounded half-up to 0.1 — otherwise the
growth the customer stated (`CategorySpend.growth_pct`) is shown, marked as stated.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404

from kehu.core.views import get_visible_or_404
from kehu.customers import hooks
from kehu.customers.models import ArchiveSection, CategorySpend, Contact, Customer
from kehu.customers.selectors import customer_get_visible_or_404

TENTH = Decimal("0.1")
# Decision makers first, then the others with a role in the decision, then principals only.
DECISION_ROLE_ORDER = [
    Contact.DecisionRole.DECISION_MAKER, Contact.DecisionRole.INFLUENCER, Contact.DecisionRole.GATEKEEPER,
    Contact.DecisionRole.BUYER, Contact.DecisionRole.USER, "",
]
MAX_SUGGESTIONS = 200



def normalize_category(text: str) -> str:
    """A category as stored: trimmed, inner runs of spaces made one."""
    return " ".join((text or "").split())[:100]


def category_key(text: str) -> str:
    """Two spellings of a category that differ only in case or spacing are the same category."""
    return normalize_category(text).casefold()


def spend_growth(current: Decimal, previous: Decimal | None) -> Decimal | None:
    """Growth in percent from `previous` to `current`, half-up to 0.1; None without a base above zero."""
    if previous is None or previous <= 0:
        return None
    return ((current - previous) * 100 / previous).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass
class SectionView:
    key: str
    label: str
    row: ArchiveSection | None

    @property
    def is_market_share(self) -> bool:
        return self.key == ArchiveSection.Section.MARKET_SHARE

    @property
    def is_empty(self) -> bool:
        return self.row is None or (not self.row.text.strip() and self.row.share_pct is None)


@dataclass
class SpendRow:
    spend: CategorySpend
    growth: Decimal | None
    growth_source: str  # "computed" (from the previous year's row), "stated", or ""
    previous: CategorySpend | None


@dataclass
class SpendYear:
    year: int
    rows: list[SpendRow]
    totals: list[tuple[str, Decimal]]  # (currency, sum of the year's spend), exact


@dataclass
class Archive:
    customer: Customer
    sections: list[SectionView]
    decision_makers: list[Contact]
    years: list[SpendYear]


@dataclass
class ArchiveSummary:
    sections: list[SectionView]
    filled: int
    spend_rows: int
    latest_year: SpendYear | None
    decision_makers: int
    last_updated_at: datetime | None = None
    last_updated_by: object = None
    has_data: bool = False


def _section_views(rows: Iterable[ArchiveSection]) -> list[SectionView]:
    by_key = {r.section: r for r in rows}
    return [SectionView(key, str(label), by_key.get(key)) for key, label in ArchiveSection.Section.choices]


def archive_sections(*, customer: Customer) -> list[SectionView]:
    """Every section in its fixed order, with its row (or None before the first save)."""
    return _section_views(ArchiveSection.objects.filter(customer=customer).select_related("updated_by"))


def archive_section(*, customer: Customer, section: str) -> SectionView:
    """One section of `customer`'s archive; 404 for a section that does not exist."""
    if section not in ArchiveSection.Section.values:
        raise Http404
    row = ArchiveSection.objects.filter(customer=customer, section=section).select_related("updated_by").first()
    return SectionView(section, str(ArchiveSection.Section(section).label), row)


def decision_makers(*, customer: Customer) -> list[Contact]:
    """The customer's live contacts with a decision role or a principal role (owner, legal
    representative, ...): decision makers first, then by name. Read from the contacts, never copied."""
    contacts = Contact.objects.filter(customer=customer, is_deleted=False).exclude(decision_role="", principal_role="")
    rank = {role: i for i, role in enumerate(DECISION_ROLE_ORDER)}
    return sorted(contacts, key=lambda c: (rank.get(c.decision_role, len(rank)), c.name, c.pk))


def spend_years(spends: Iterable[CategorySpend]) -> list[SpendYear]:
    """Spend rows grouped by year (newest first), each with its growth and the year's totals."""
    spends = list(spends)
    by_key = {(category_key(s.category), s.year, s.currency): s for s in spends}
    years: dict[int, list[SpendRow]] = {}
    for s in sorted(spends, key=lambda s: (-s.year, category_key(s.category), s.pk)):
        previous = by_key.get((category_key(s.category), s.year - 1, s.currency))
        computed = spend_growth(s.annual_spend, previous.annual_spend if previous else None)
        if computed is not None:
            row = SpendRow(s, computed, "computed", previous)
        elif s.growth_pct is not None:
            row = SpendRow(s, s.growth_pct, "stated", previous)
        else:
            row = SpendRow(s, None, "", previous)
        years.setdefault(s.year, []).append(row)
    result = []
    for year, rows in years.items():
        totals: dict[str, Decimal] = {}
        for r in rows:
            totals[r.spend.currency] = totals.get(r.spend.currency, Decimal("0.00")) + r.spend.annual_spend
        result.append(SpendYear(year, rows, sorted(totals.items())))
    return result


def customer_spend_years(*, customer: Customer) -> list[SpendYear]:
    """The spend table of a customer already fetched through the visibility scope (one query)."""
    return spend_years(CategorySpend.objects.filter(customer=customer).select_related("updated_by"))


def customer_archive(*, user, pk) -> Archive:
    """The whole archive of customer `pk` as `user` sees it (404 when the customer is not visible).

    Four queries whatever the number of rows: the customer, sections, contacts, spend.
    """
    customer = customer_get_visible_or_404(user=user, pk=pk)
    return Archive(
        customer=customer,
        sections=archive_sections(customer=customer),
        decision_makers=decision_makers(customer=customer),
        years=customer_spend_years(customer=customer),
    )


def archive_summary(*, customer: Customer, contacts: Iterable[Contact] | None = None) -> ArchiveSummary:
    """What the customer page shows of the archive: which sections are written, how many
    decision makers, the latest year's spend, and who changed the archive last. Two queries,
    three without `contacts` (the customer's live contacts when the caller has them already)."""
    if contacts is None:
        contacts = Contact.objects.filter(customer=customer, is_deleted=False).only("decision_role", "principal_role")
    makers = sum(1 for c in contacts if c.decision_role or c.principal_role)
    sections = archive_sections(customer=customer)
    spends = list(CategorySpend.objects.filter(customer=customer).select_related("updated_by"))
    years = spend_years(spends)
    stamps = [(s.row.updated_at, s.row.updated_by) for s in sections if s.row is not None]
    stamps += [(s.updated_at, s.updated_by) for s in spends]
    latest = max(stamps, key=lambda t: t[0], default=(None, None))
    filled = sum(1 for s in sections if not s.is_empty)
    return ArchiveSummary(
        sections=sections, filled=filled, spend_rows=len(spends), latest_year=years[0] if years else None,
        decision_makers=makers,
        last_updated_at=latest[0], last_updated_by=latest[1], has_data=bool(filled or spends),
    )


def category_spend_get_visible_or_404(*, user, pk) -> CategorySpend:
    """A spend row whose customer `user` sees; 404 otherwise (same answer as a missing row)."""
    return get_visible_or_404(CategorySpend.objects.visible_to(user).select_related("customer", "customer__owner"), pk=pk)


def category_suggestions(*, user) -> list[str]:
    """Category names to offer while typing: those registered by later apps (our product
    categories) and those already used in the archives of customers `user` sees."""
    names: set[str] = set()
    for source in hooks.CATEGORY_SOURCES:  # product categories of later apps (customers may not import sales)
        names.update(normalize_category(n) for n in source() if n)
    used = (
        CategorySpend.objects.visible_to(user).order_by("category").values_list("category", flat=True).distinct()[:MAX_SUGGESTIONS]
    )
    names.update(used)
    names.discard("")
    return sorted(names)[:MAX_SUGGESTIONS]

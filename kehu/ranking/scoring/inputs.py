"""What an evaluation run knows of each customer: plain data, filled by
`kehu.ranking.facts.load_facts` (or by hand in tests), read by the models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

ZERO = Decimal("0.00")
DEFAULT_RATING = 3
LIST_SCALE = 10**8  # quantity (4 decimals) × list price (4 decimals), as stored integers


@dataclass
class CustomerFacts:
    id: int
    code: str
    influence: int | None
    reputation: int | None
    sales: Decimal = ZERO  # S in W
    cost: Decimal = ZERO
    sales_prev: Decimal = ZERO  # S′ in W′
    write_offs: Decimal | None = None  # bad-debt write-offs dated in W
    contract_volume: Decimal | None = None  # Σ amount of contracts signed in W
    list_value: int = 0  # Σ quantity × list price in W, in 10^-8 units
    quality_losses: Decimal | None = None
    open_pipeline: Decimal | None = None
    has_lines_in_window: bool = False
    has_lines_to_date: bool = False
    due: list = field(default_factory=list)  # [(amount, collected, on_time, days_late)]

    @property
    def profit(self) -> Decimal:
        return self.sales - self.cost - (self.write_offs or ZERO)

    @property
    def influence_value(self) -> int:
        return self.influence if self.influence is not None else DEFAULT_RATING

    @property
    def reputation_value(self) -> int:
        return self.reputation if self.reputation is not None else DEFAULT_RATING

    @property
    def collection_rate(self) -> Fraction:
        total = sum((a for a, _, _, _ in self.due), Decimal(0))
        if not total:
            return Fraction(1)
        return Fraction(sum((c for _, c, _, _ in self.due), Decimal(0))) / Fraction(total)

    @property
    def on_time_share(self) -> Fraction:
        if not self.due:
            return Fraction(1)
        return Fraction(sum(1 for d in self.due if d[2]), len(self.due))

    @property
    def mean_days_late(self) -> Fraction:
        if not self.due:
            return Fraction(0)
        return Fraction(sum(d[3] for d in self.due), len(self.due))

    @property
    def margin(self) -> Fraction:
        return Fraction(self.profit) / Fraction(self.sales) if self.sales else Fraction(0)

    @property
    def growth(self) -> Fraction:
        if not self.sales_prev:
            return Fraction(1)
        return (Fraction(self.sales) - Fraction(self.sales_prev)) / Fraction(self.sales_prev)

    @property
    def price_level(self) -> Fraction:
        if not self.list_value:
            return Fraction(0)
        return Fraction(self.sales) / Fraction(self.list_value, LIST_SCALE)


@dataclass
class Facts:
    as_of: date
    months: int
    start: date
    customers: dict[int, CustomerFacts]
    queries: int = 0

    @property
    def population(self) -> list[CustomerFacts]:
        return [c for c in self.customers.values() if c.has_lines_in_window]

    @property
    def prospects(self) -> list[CustomerFacts]:
        return [c for c in self.customers.values() if not c.has_lines_to_date]

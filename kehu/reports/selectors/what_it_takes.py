"""What it takes (issue 12): from a rep's gap to their won target this period and their own
conversion over the 12 months before it, how many more deals, qualified customers and new
prospects they need. Exact: Fractions over integer counts and Decimal amounts, each count rounded
UP to a whole number from the previous whole number (docs/rules.md "### What it takes").

A rate with no history (nothing to divide by) falls back to the rep's team's, then the
company's (every user with the rep role), and says which it used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Count, Q

from kehu.core.dates import add_months
from kehu.core.money import CENT
from kehu.reports.selectors.activity import _not_gone, day_start

HISTORY_MONTHS = 12
OWN, TEAM, COMPANY, NONE = "own", "team", "company", "none"


@dataclass
class History:
    """Counts of 12 months: deals won (and their amount), customers moved into qualified, into prospect."""

    won_count: int = 0
    won_amount: Decimal = Decimal("0.00")
    qualified: int = 0
    prospects: int = 0

    def add(self, other: "History") -> None:
        self.won_count += other.won_count
        self.won_amount += other.won_amount
        self.qualified += other.qualified
        self.prospects += other.prospects


@dataclass
class Rate:
    """num ÷ den of one History, and whose history it is (OWN, TEAM, COMPANY; NONE: none had any)."""

    source: str
    num: object = 0  # won amount (Decimal) or a count
    den: int = 0

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.num) / self.den if self.source != NONE else None


def _pick(histories: list[tuple[str, History]], num, den) -> Rate:
    """The first of own / team / company whose denominator (and numerator) is positive."""
    for source, h in histories:
        if h is not None and den(h) > 0 and num(h) > 0:
            return Rate(source, num(h), den(h))
    return Rate(NONE)


def ceil_fraction(x: Fraction) -> int:
    return math.ceil(x)


@dataclass
class Need:
    rep: object
    target_amount: Decimal | None
    won: Decimal
    history: History
    deal_size: Rate = None
    win_rate: Rate = None  # deals won per qualified customer
    qualify_rate: Rate = None  # qualified customers per prospect
    deals: int | None = None
    qualified: int | None = None
    prospects: int | None = None
    notes: list = field(default_factory=list)

    @property
    def gap(self) -> Decimal | None:
        return None if self.target_amount is None else self.target_amount - self.won

    @property
    def on_target(self) -> bool:
        return self.gap is not None and self.gap <= 0

    @property
    def average_deal(self) -> Decimal | None:
        """The average won deal shown (rounded half-up to the cent; the arithmetic uses the exact one)."""
        if self.deal_size is None or self.deal_size.source == NONE:
            return None
        return (Decimal(self.deal_size.num) / self.deal_size.den).quantize(CENT, rounding=ROUND_HALF_UP)


def needs(*, gap: Decimal, deal_size: Rate, win_rate: Rate, qualify_rate: Rate) -> tuple[int | None, int | None, int | None]:
    """(deals, qualified customers, prospects) for a positive `gap`, each rounded up:
    deals = ⌈gap ÷ average won deal⌉; qualified = ⌈deals ÷ (won deals per qualified customer)⌉;
    prospects = ⌈qualified ÷ (qualified per prospect)⌉. None from the first step whose rate is
    missing on."""
    if deal_size.source == NONE:
        return None, None, None
    deals = ceil_fraction(Fraction(gap) / deal_size.value)
    if win_rate.source == NONE:
        return deals, None, None
    qualified = ceil_fraction(deals / win_rate.value)
    if qualify_rate.source == NONE:
        return deals, qualified, None
    return deals, qualified, ceil_fraction(qualified / qualify_rate.value)


def histories(*, start, rep_ids) -> dict[int, History]:
    """{rep id: History} over the 12 months before `start` of the reps `rep_ids` (every user with
    the rep role, for the team and company rates; two queries: won deals, stage changes)."""
    from kehu.customers.models import Customer, CustomerStageChange
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipeline_by

    first = add_months(start, -HISTORY_MONTHS)
    last = start.fromordinal(start.toordinal() - 1)
    result: dict[int, History] = {}
    opportunities = Opportunity.objects.filter(owner_id__in=rep_ids)
    for owner_id, sums in weighted_pipeline_by(opportunities=opportunities, group="owner_id", date_from=first, date_to=last).items():
        h = result.setdefault(owner_id, History())
        h.won_count, h.won_amount = sums.won_count, sums.won
    rows = (CustomerStageChange.objects.filter(_not_gone("customer"), customer__owner_id__in=rep_ids,
                                               to_stage__in=[Customer.Stage.PROSPECT, Customer.Stage.QUALIFIED],
                                               at__gte=day_start(first), at__lt=day_start(start))
            .order_by().values("customer__owner_id").annotate(
                p=Count("customer_id", distinct=True, filter=Q(to_stage=Customer.Stage.PROSPECT)),
                q=Count("customer_id", distinct=True, filter=Q(to_stage=Customer.Stage.QUALIFIED))))
    for row in rows:
        h = result.setdefault(row["customer__owner_id"], History())
        h.prospects, h.qualified = row["p"], row["q"]
    return result


def what_it_takes(flt) -> list[Need]:
    """One Need per rep in the filter's scope, by username. Six queries whatever the number of
    reps: reps, targets, won this period, two of history, the reps' teams."""
    from kehu.accounts.models import User
    from kehu.planning.selectors.targets import user_target_amounts
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipeline_by

    period = flt.period
    reps = list(flt.reps())
    if not reps:
        return []
    ids = [r.pk for r in reps]
    targets = user_target_amounts(user_ids=ids, period=period)
    won = {k: v.won for k, v in weighted_pipeline_by(opportunities=Opportunity.objects.filter(owner_id__in=ids), group="owner_id",
                                                    date_from=period.start, date_to=period.end).items()}
    everyone = list(User.objects.filter(role=User.Role.REP).values_list("pk", "team_id"))
    by_rep = histories(start=period.start, rep_ids=[pk for pk, _team in everyone])
    teams: dict[int, History] = {}
    company = History()
    for rep_id, team_id in everyone:
        h = by_rep.get(rep_id)
        if h is None:
            continue
        company.add(h)
        if team_id is not None:
            teams.setdefault(team_id, History()).add(h)
    result = []
    for rep in reps:
        own = by_rep.get(rep.pk, History())
        chain = [(OWN, own), (TEAM, teams.get(rep.team_id) if rep.team_id else None), (COMPANY, company)]
        need = Need(rep=rep, target_amount=targets.get(rep.pk), won=won.get(rep.pk, Decimal("0.00")), history=own)
        need.deal_size = _pick(chain, lambda h: h.won_amount, lambda h: h.won_count)
        need.win_rate = _pick(chain, lambda h: h.won_count, lambda h: h.qualified)
        need.qualify_rate = _pick(chain, lambda h: h.qualified, lambda h: h.prospects)
        if need.gap is not None and need.gap > 0:
            need.deals, need.qualified, need.prospects = needs(gap=need.gap, deal_size=need.deal_size, win_rate=need.win_rate,
                                                               qualify_rate=need.qualify_rate)
        result.append(need)
    return result

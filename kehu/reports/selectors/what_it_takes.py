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
from kehu.reports.selectors.activity import day_start, stage_entries

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
    """{rep id: History} over the 12 months before `start` of the reps `rep_ids` (two queries:
    won deals, stage changes — `stage_entries`, counted for the customer's owner now)."""
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipeline_by

    result: dict[int, History] = {}
    if not rep_ids:
        return result
    first = add_months(start, -HISTORY_MONTHS)
    last = start.fromordinal(start.toordinal() - 1)
    opportunities = Opportunity.objects.filter(owner_id__in=rep_ids)
    for owner_id, sums in weighted_pipeline_by(opportunities=opportunities, group="owner_id", date_from=first, date_to=last).items():
        h = result.setdefault(owner_id, History())
        h.won_count, h.won_amount = sums.won_count, sums.won
    for owner_id, (p, q) in stage_entries(begin=day_start(first), end=day_start(start), owner_ids=rep_ids).items():
        h = result.setdefault(owner_id, History())
        h.prospects, h.qualified = p, q
    return result


def company_history(*, start) -> History:
    """The company's History: the sum over every user with the rep role of `histories`, from two
    aggregates without a per-rep join — a customer has one owner, so Σ over the reps of the
    distinct customers each owns = the distinct customers whose owner has the rep role (customers
    with another owner, none, in the recycle bin or merged away: a NOT IN of those few rows)."""
    from kehu.accounts.models import User
    from kehu.customers.models import Customer, CustomerStageChange
    from kehu.customers.summaries import stage_entry_counts, whole_months
    from kehu.sales.models import Opportunity
    from kehu.sales.selectors import weighted_pipeline

    first = add_months(start, -HISTORY_MONTHS)
    last = start.fromordinal(start.toordinal() - 1)
    reps = User.objects.filter(role=User.Role.REP).values("pk")
    sums = weighted_pipeline(opportunities=Opportunity.objects.filter(owner_id__in=reps), date_from=first, date_to=last)
    months = whole_months(day_start(first), day_start(start))
    if months is not None:  # whole months: the stage-entry summary, summed over the owners with the rep role
        rep_ids = set(User.objects.filter(role=User.Role.REP).values_list("pk", flat=True))
        counts = stage_entry_counts(first=months[0], after=months[1], stages=[Customer.Stage.PROSPECT, Customer.Stage.QUALIFIED])
        p = sum(c.get(Customer.Stage.PROSPECT, 0) for owner_id, c in counts.items() if owner_id in rep_ids)
        q = sum(c.get(Customer.Stage.QUALIFIED, 0) for owner_id, c in counts.items() if owner_id in rep_ids)
        return History(won_count=sums.won_count, won_amount=sums.won, qualified=q, prospects=p)
    others = User.objects.exclude(role=User.Role.REP).values("pk")
    outside = Customer.objects.filter(Q(owner__isnull=True) | Q(owner_id__in=others) | Q(is_deleted=True) | Q(merged_into__isnull=False)).values("pk")
    counts = (CustomerStageChange.objects.filter(to_stage__in=[Customer.Stage.PROSPECT, Customer.Stage.QUALIFIED],
                                                 at__gte=day_start(first), at__lt=day_start(start))
              .exclude(customer_id__in=outside).order_by()
              .aggregate(p=Count("customer_id", distinct=True, filter=Q(to_stage=Customer.Stage.PROSPECT)),
                         q=Count("customer_id", distinct=True, filter=Q(to_stage=Customer.Stage.QUALIFIED))))
    return History(won_count=sums.won_count, won_amount=sums.won, qualified=counts["q"] or 0, prospects=counts["p"] or 0)


def _complete(h: History | None) -> bool:
    """Every rate has its own history: no fallback needed."""
    return h is not None and h.won_count > 0 and h.won_amount > 0 and h.qualified > 0 and h.prospects > 0


def what_it_takes(flt) -> list[Need]:
    """One Need per rep in the filter's scope, by username. Six queries whatever the number of
    reps (reps, targets, won this period, the users with the rep role, two of history), two more
    when a rep in scope needs a team or company rate and the scope is not every rep."""
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
    # Every user with the rep role (the team and company rates). The reps in scope first; a team's
    # and the company's only when a rep in scope lacks one of their own rates (a fallback): the
    # team's from its members' histories, the company's from `company_history` (or the sum when
    # every rep's history is at hand).
    everyone = list(User.objects.filter(role=User.Role.REP).values_list("pk", "team_id"))
    team_of = dict(everyone)
    own_ids = [pk for pk in ids if pk in team_of]
    by_rep = histories(start=period.start, rep_ids=own_ids)
    lacking = [r for r in reps if not _complete(by_rep.get(r.pk))]
    teams: dict[int, History] = {}
    company = None
    if lacking:
        wanted_teams = {r.team_id for r in lacking if r.team_id}
        done = set(own_ids)
        members = [pk for pk, team_id in everyone if team_id in wanted_teams and pk not in done]
        if members:
            by_rep.update(histories(start=period.start, rep_ids=members))
        for rep_id, team_id in everyone:
            if team_id in wanted_teams and rep_id in by_rep:
                teams.setdefault(team_id, History()).add(by_rep[rep_id])
        if not all(_complete(teams.get(r.team_id)) for r in lacking):
            if done | set(members) >= set(team_of):
                company = History()
                for rep_id in team_of:
                    if rep_id in by_rep:
                        company.add(by_rep[rep_id])
            else:
                company = company_history(start=period.start)
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

"""The funnel report (DOMAIN.md §7, docs/rules.md "### Funnel"): lifecycle and opportunity stage
counts and conversion, stage velocity, win rate, average deal size and sales-cycle length, for the
scope of a `ReportFilter`, in total and by rep, team and lead source.

Every count is one SQL aggregate grouped by (owner, owner's team, lead source) and rolled up in
Python (the groups are disjoint: a customer or an opportunity has one owner and one source), so
the page costs a fixed number of queries whatever the data. Durations (velocity, sales cycle) are
fetched as bare values of the period only (values_list), never per row. What each read costs at
100,000 customers and how it was made cheap: docs/performance.md "## Funnel (issues 12 and 13,
second pass)".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import BigIntegerField, Case, CharField, Count, DateField, DateTimeField, DurationField, ExpressionWrapper, F, Func, IntegerField, Max, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from kehu.core.money import quantize_cents

RATIO_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")
ZERO = Decimal(0)


# -- small exact helpers ---------------------------------------------------------------------------

def ratio(part, whole) -> Decimal | None:
    """part ÷ whole, half-up to 4 decimals (a fraction: 0.2500 = 25%); None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def median(values: list[int]) -> Decimal | None:
    """The median of whole days: the middle value, or the mean of the two middle ones (so x.5)."""
    if not values:
        return None
    s = sorted(values)
    n = len(s)
    if n % 2:
        return Decimal(s[n // 2])
    return (Decimal(s[n // 2 - 1]) + Decimal(s[n // 2])) / 2


def p75(values: list[int]) -> Decimal | None:
    """The 75th percentile by nearest rank: the ⌈0.75·n⌉-th smallest value."""
    if not values:
        return None
    s = sorted(values)
    return Decimal(s[math.ceil(Decimal(3) * len(s) / 4) - 1])


def period_bounds(period) -> tuple[datetime, datetime]:
    """[start, end) of a period's days as aware datetimes in the site's time zone."""
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))
    return start, end


def local_day(moment):
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _moment(value) -> datetime:
    """A moment read without its converter: a datetime already (PostgreSQL) or SQLite's stored
    text (UTC, ISO format), parsed as the converter would (naive UTC; both sides of a
    subtraction alike)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _local_date(value, tz):
    """The local day (time zone `tz`) of a moment read without its converter: PostgreSQL's aware
    datetime, or SQLite's stored text (UTC, ISO format) — the same day as `local_day` of the
    converted value."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_timezone.utc)
    return moment.astimezone(tz).date()


def cycle_length(created_at, closed_on) -> int:
    """Days from the local day an opportunity was recorded to the day it closed (0 when it was
    recorded on or after that day, e.g. entered once won)."""
    return max(0, (closed_on - local_day(created_at)).days)


# -- scope -----------------------------------------------------------------------------------------

def customer_q(flt, prefix: str = "") -> Q:
    """The customers whose lifecycle counts (at `prefix`, e.g. "customer"), as one Q that joins
    rather than a `pk IN (…)` list: those the reader may open (`flt.customers()`: visibility, the
    team / rep / source chosen), owned by someone in the reader's scope — the pool only when the
    reader sees the whole company and chose no team or rep."""
    from kehu.accounts.visibility import customer_scope
    from kehu.planning.querysets import sees_company

    p = f"{prefix}__" if prefix else ""
    q = customer_scope(flt.reader, prefix=prefix)
    if flt.rep is not None:
        q &= Q(**{f"{p}owner_id": flt.rep.pk})
    elif flt.team is not None:
        q &= Q(**{f"{p}owner__team_id": flt.team.pk})
    if flt.lead_source:
        q &= Q(**{f"{p}lead_source": flt.lead_source})
    if not (sees_company(flt.reader) and flt.team is None and flt.rep is None):
        q &= flt.user_q(f"{p}owner")
    return q


def narrowed_by_owner(flt) -> bool:
    """Whether `customer_q` narrows by owner (every reader but one who sees the whole company
    with no team or rep chosen)."""
    from kehu.planning.querysets import sees_company

    return not (sees_company(flt.reader) and flt.team is None and flt.rep is None)


def customer_scope(flt):
    """`customer_q` as a queryset of customers."""
    from kehu.customers.models import Customer

    return Customer.objects.filter(customer_q(flt))


def opportunity_scope(flt):
    """Opportunities owned by someone in scope (`flt.owned`), of customers not in the recycle bin
    nor merged away, narrowed to the lead source chosen (the customer's)."""
    from kehu.sales.models import Opportunity

    qs = Opportunity.objects.filter(customer__is_deleted=False, customer__merged_into__isnull=True)
    return flt.owned(qs, "owner", lead_source_path="customer__lead_source")


def _gone_customers():
    """The customers in the recycle bin, and those merged away, as two id subqueries: each read from
    its own index (`is_deleted`, `merged_into`); one OR of the two made SQLite scan every customer.
    `is_deleted IN (1)`, not `is_deleted=True`: Django writes the latter as the bare column, which
    SQLite cannot look up in the index (it scanned a covering index of all 100,000: 7 ms)."""
    from kehu.customers.models import Customer

    return (Customer.objects.filter(is_deleted__in=[True]).order_by().values("pk"),
            Customer.objects.filter(merged_into__isnull=False).order_by().values("pk"))


# -- results ---------------------------------------------------------------------------------------

@dataclass
class StageRow:
    key: object
    label: str
    now: int | None = None  # lifecycle only: customers in the stage today
    reached: int = 0
    conversion: Decimal | None = None  # reached(next) ÷ reached(this)
    median_days: Decimal | None = None
    p75_days: Decimal | None = None
    stays: int = 0


@dataclass
class GroupRow:
    key: object
    label: str
    prospects: int = 0  # customers who reached prospect (or later) in the period
    signed: int = 0  # … who reached signed (or later)
    conversion: Decimal | None = None  # signed ÷ prospects
    won: int = 0
    lost: int = 0
    win_rate: Decimal | None = None
    won_amount: Decimal = ZERO
    deal_size: Decimal | None = None
    cycles: list = field(default_factory=list)
    cycle_median: Decimal | None = None


@dataclass
class FunnelReport:
    lifecycle: list[StageRow]
    stages: list[StageRow]
    lost: int
    won: int
    closed_lost: int
    win_rate: Decimal | None
    won_amount: Decimal
    deal_size: Decimal | None
    cycle_median: Decimal | None
    cycle_count: int
    by_rep: list[GroupRow]
    by_team: list[GroupRow]
    by_source: list[GroupRow]


LIFECYCLE_GROUP = ("customer__owner_id", "customer__owner__team_id", "customer__lead_source")
OPP_GROUP = ("owner_id", "owner__team_id", "customer__lead_source")


def funnel_report(flt) -> FunnelReport:
    from kehu.customers.models import Customer, CustomerStageChange
    from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange

    start, end = period_bounds(flt.period)
    customers = customer_scope(flt)
    lifecycle = list(Customer.Stage)

    # 1. customers per stage today, grouped in the order of a covering index of customers
    # (`customer_sources_idx`, or `customer_sources_owner_idx` when the scope is some owners) so
    # the count reads that index alone (COUNT(*), not COUNT(id): PostgreSQL's index holds no id);
    # the groups are added up per stage here
    # — but the whole company with no source chosen is grouped by stage alone, read in stage order
    # from `customer_stage_live_idx` (stage, is_deleted): a group aggregate over a narrow index
    # (PostgreSQL 17 → 7 ms) instead of hashing 100,000 entries of the wide one
    by_owner = ("owner_id",) if narrowed_by_owner(flt) else ()
    group = (*by_owner, "lead_source", "stage") if by_owner or flt.lead_source else ("stage",)
    now: dict[str, int] = {}
    for stage, n in (customers.order_by().values(*group).annotate(n=Count("*"))
                     .order_by(*group).values_list("stage", "n")):
        now[stage] = now.get(stage, 0) + n

    # 2. customers who reached each stage in the period (a change into it or a later stage)
    changes = CustomerStageChange.objects.filter(customer_q(flt, "customer"), at__gte=start, at__lt=end)
    reached_aggs = {f"r{i}": Count("customer_id", distinct=True, filter=Q(to_stage__in=[s.value for s in lifecycle[i:]]))
                    for i in range(len(lifecycle))}
    life_rows = list(changes.order_by().values(*LIFECYCLE_GROUP).annotate(**reached_aggs))
    life_rows = [dict(r, owner_id=r["customer__owner_id"], team_id=r["customer__owner__team_id"], source=r["customer__lead_source"])
                 for r in life_rows]

    life = [StageRow(key=s.value, label=str(s.label), now=now.get(s.value, 0),
                     reached=sum(r[f"r{i}"] for r in life_rows)) for i, s in enumerate(lifecycle)]
    _chain(life)

    # 3. opportunity stages: the sequence is the open stages then won, by position; lost apart
    stages = list(OpportunityStage.objects.order_by("position", "pk"))
    sequence = [s for s in stages if not s.is_closed or s.is_won]
    lost_ids = [s.pk for s in stages if s.is_closed and not s.is_won]
    opps = opportunity_scope(flt)
    if narrowed_by_owner(flt):  # some owners: their opportunities drive, each joined to its customer
        alive = OpportunityStageChange.objects.filter(at__gte=start, at__lt=end, opportunity__customer__is_deleted=False,
                                                      opportunity__customer__merged_into__isnull=True)
    else:
        # the whole company: the opportunities of customers in the recycle bin or merged away left
        # out by a NOT IN of those few opportunities (the same rows as joining each change to its
        # customer, without the two look-ups per change)
        alive = OpportunityStageChange.objects.filter(at__gte=start, at__lt=end)
        for gone in _gone_customers():
            alive = alive.exclude(opportunity_id__in=Opportunity.objects.filter(customer_id__in=gone).order_by().values("pk"))
    opp_changes = flt.owned(alive, "opportunity__owner", lead_source_path="opportunity__customer__lead_source")
    # One read of the period's changes (opportunity, from, to, the stay it ended — the elapsed
    # time computed in SQL) serves both the stages reached (distinct opportunities, counted here)
    # and 4. velocity: a change in the period leaves its `from_stage`, entered at the latest
    # change into that stage before it
    entered = (OpportunityStageChange.objects.filter(opportunity_id=OuterRef("opportunity_id"), to_stage_id=OuterRef("from_stage_id"),
                                                     at__lte=OuterRef("at"))
               .order_by().values("opportunity_id").annotate(m=Max("at")).values("m"))
    # On SQLite the two moments are read as the driver gives them (no per-value converter: SQLite's
    # stored text, parsed once here by `_moment`) and the stay is `at − entered` computed here — the
    # same timedelta the database's subtraction gave, without a Python function called from SQL
    # for every row. PostgreSQL subtracts natively. Either way the stay is kept as its whole days
    # elapsed (rounded down, as timedelta.days): on PostgreSQL `EXTRACT(DAY FROM at − entered)` — a
    # moment minus a moment is days and a time of day, never months — read as one integer per
    # change (the driver parsed an interval per change).
    if connection.vendor == "postgresql":
        period_changes = list(
            opp_changes.order_by()
            .annotate(stay=Case(When(from_stage__isnull=False,  # the first change of an opportunity left no stage
                                     then=Func(ExpressionWrapper(F("at") - Subquery(entered, output_field=DateTimeField()),
                                                                 output_field=DurationField()),
                                               template="EXTRACT(DAY FROM %(expressions)s)::integer", output_field=IntegerField())),
                                default=Value(None), output_field=IntegerField()))
            .values_list("opportunity_id", "from_stage_id", "to_stage_id", "stay"))
    else:
        period_changes = [
            (opp_id, from_id, to_id, (_moment(at) - _moment(since)).days if from_id is not None and since is not None else None)
            for opp_id, from_id, to_id, at, since in
            opp_changes.order_by()
            # `+at` (a no-op on text) so the driver does not convert the column by its declared type
            .annotate(at_raw=Func(F("at"), template="+%(expressions)s", output_field=CharField()),
                      entered_raw=Case(When(from_stage__isnull=False,  # the first change of an opportunity left no stage
                                            then=Subquery(entered, output_field=CharField())),
                                       default=Value(None), output_field=CharField()))
            .values_list("opportunity_id", "from_stage_id", "to_stage_id", "at_raw", "entered_raw")]
    position = {s.pk: i for i, s in enumerate(sequence)}
    # An opportunity reached a stage of the sequence (and every earlier one) when it changed into
    # that stage or a later one: the furthest position each reached, then how many reached at
    # least each position (one dict entry per change, not one set entry per stage passed)
    furthest: dict = {}
    lost_set: set = set()
    lost_id_set = set(lost_ids)
    for opp_id, _from, to_id, _stay in period_changes:
        at = position.get(to_id)
        if at is not None:
            if furthest.get(opp_id, -1) < at:
                furthest[opp_id] = at
        elif to_id in lost_id_set:
            lost_set.add(opp_id)
    at_least = [0] * (len(sequence) + 1)
    for at in furthest.values():
        at_least[at] += 1
    for i in range(len(sequence) - 1, -1, -1):
        at_least[i] += at_least[i + 1]
    reached = {f"s{i}": at_least[i] for i in range(len(sequence))}
    reached["lost"] = len(lost_set)
    opp_rows = [StageRow(key=s.pk, label=str(s), reached=reached[f"s{i}"] or 0) for i, s in enumerate(sequence)]
    _chain(opp_rows)

    days_by_stage: dict[int, list[int]] = {}
    for _opp, stage_id, _to, stay in period_changes:
        if stage_id is None:
            continue
        if stay is None:  # the stage it left was never entered in the history (an import without it)
            continue
        days_by_stage.setdefault(stage_id, []).append(stay)  # whole days elapsed, rounded down
    for row in opp_rows:
        values = days_by_stage.get(row.key, [])
        row.stays, row.median_days, row.p75_days = len(values), median(values), p75(values)

    # 5. closed in the period: win rate, deal size; 6. sales cycle of the won ones — ONE read of the
    # period's closed opportunities grouped by (owner, team, source, won, and for a won one the
    # moment recorded and the day closed): the counts and the won amount summed in SQL per group,
    # each won group's cycle length computed here once (the lost ones fold into one group per
    # owner, team and source)
    won_q = Q(stage__is_won=True)
    closed_in_period = (opps.filter(stage__is_closed=True, closed_on__gte=flt.period.start, closed_on__lte=flt.period.end)
                        .order_by().annotate(won_flag=F("stage__is_won")))
    if connection.vendor == "postgresql":
        # PostgreSQL computes each won deal's days natively: the day closed − the local day
        # recorded (`AT TIME ZONE`, the same day as `local_day`), grouped by those days
        closed_rows = (closed_in_period
                       .annotate(won_days=Case(When(won_q, then=ExpressionWrapper(F("closed_on") - TruncDate("created_at"),
                                                                                  output_field=DurationField())),
                                               default=None, output_field=DurationField()))
                       .values(*OPP_GROUP, "won_flag", "won_days")
                       .annotate(n=Count("*"), cents=Sum("amount", output_field=BigIntegerField()))  # MoneyField: integer cents
                       .values_list(*OPP_GROUP, "won_flag", "won_days", "n", "cents"))
        closed_rows = [(o, t, src, won, None if days is None else days.days, n, cents) for o, t, src, won, days, n, cents in closed_rows]
    else:
        # SQLite: the moment recorded read as stored (UTC text, no per-value converter), turned into
        # the local day here (`_local_date`)
        tz = timezone.get_current_timezone()
        closed_rows = [(o, t, src, won, None if created is None else (closed_on - _local_date(created, tz)).days, n, cents)
                       for o, t, src, won, created, closed_on, n, cents in
                       closed_in_period
                       .annotate(won_created=Case(When(won_q, then=F("created_at")), default=None, output_field=CharField()),
                                 won_closed=Case(When(won_q, then=F("closed_on")), default=None, output_field=DateField()))
                       .values(*OPP_GROUP, "won_flag", "won_created", "won_closed")
                       .annotate(n=Count("*"), cents=Sum("amount", output_field=BigIntegerField()))  # MoneyField: integer cents
                       .values_list(*OPP_GROUP, "won_flag", "won_created", "won_closed", "n", "cents")]
    closed_by: dict[tuple, dict] = {}
    cycle_days_by: dict[tuple, list[int]] = {}
    tz = timezone.get_current_timezone()
    for owner_id, team_id, source, is_won, days, n, cents in closed_rows:
        key = (owner_id, team_id, source)
        g = closed_by.get(key)
        if g is None:
            g = closed_by[key] = {"owner_id": owner_id, "owner__team_id": team_id, "customer__lead_source": source,
                                  "won": 0, "lost": 0, "won_cents": 0}
        if is_won:
            g["won"] += n
            g["won_cents"] += cents or 0
            cycle_days_by.setdefault(key, []).extend([max(0, days)] * n)  # 0 when recorded on or after the day it closed
        else:
            g["lost"] += n
    for g in closed_by.values():  # integer cents → the amount, exactly as the field reads it
        g["won_amount"] = Decimal(g.pop("won_cents")).scaleb(-2).quantize(CENT)
    closed = list(closed_by.values())
    cycles = [(*key, days) for key, days in cycle_days_by.items()]

    won = sum(r["won"] for r in closed)
    closed_lost = sum(r["lost"] for r in closed)
    won_amount = quantize_cents(sum((Decimal(r["won_amount"] or 0) for r in closed), ZERO))
    cycle_days = [d for *_g, days in cycles for d in days]

    by_rep, by_team, by_source = _groups(life_rows, closed, cycles)
    return FunnelReport(
        lifecycle=life, stages=opp_rows, lost=reached["lost"] or 0, won=won, closed_lost=closed_lost,
        win_rate=ratio(won, won + closed_lost), won_amount=won_amount,
        deal_size=quantize_cents(won_amount / won) if won else None,
        cycle_median=median(cycle_days), cycle_count=len(cycle_days),
        by_rep=by_rep, by_team=by_team, by_source=by_source,
    )


def _chain(rows: list[StageRow]) -> None:
    for row, nxt in zip(rows, rows[1:]):
        row.conversion = ratio(nxt.reached, row.reached)


def _groups(life_rows, closed, cycles):
    """(by rep, by team, by source) rows from the grouped aggregates, labelled in 1 query."""
    from kehu.accounts.models import User
    from kehu.customers.models import Customer

    prospect_i = list(Customer.Stage.values).index(Customer.Stage.PROSPECT)
    signed_i = list(Customer.Stage.values).index(Customer.Stage.SIGNED)
    tables: list[dict] = [{}, {}, {}]

    def row(table, key):
        g = table.get(key)
        if g is None:
            g = table[key] = GroupRow(key, "")
        return g

    def rows_for(owner_id, team_id, source):
        return [row(tables[0], owner_id), row(tables[1], team_id), row(tables[2], source or "")]

    for r in life_rows:
        for g in rows_for(r["owner_id"], r["team_id"], r["source"]):
            g.prospects += r[f"r{prospect_i}"]
            g.signed += r[f"r{signed_i}"]
    for r in closed:
        for g in rows_for(r["owner_id"], r["owner__team_id"], r["customer__lead_source"]):
            g.won += r["won"]
            g.lost += r["lost"]
            g.won_amount += Decimal(r["won_amount"] or 0)
    for owner_id, team_id, source, days in cycles:
        for g in rows_for(owner_id, team_id, source):
            g.cycles.extend(days)

    # every team grouped is the team of an owner grouped (the owner's team): one query labels both
    users: dict = {}
    teams: dict = {}
    for u in User.objects.filter(pk__in=[k for k in tables[0] if k is not None]).select_related("team"):
        users[u.pk] = str(u)
        if u.team is not None:
            teams[u.team.pk] = u.team.name
    sources = dict(Customer.LeadSource.choices)
    from django.utils.translation import gettext as _

    labels = [lambda k: users.get(k, _("Pool")) if k is not None else _("Pool"),
              lambda k: teams.get(k, "") if k is not None else _("No team"),
              lambda k: str(sources.get(k, "")) if k else _("No source")]
    out = []
    for table, label in zip(tables, labels):
        rows = []
        for g in table.values():
            g.label = label(g.key)
            g.conversion = ratio(g.signed, g.prospects)
            g.win_rate = ratio(g.won, g.won + g.lost)
            g.won_amount = quantize_cents(g.won_amount)
            g.deal_size = quantize_cents(g.won_amount / g.won) if g.won else None
            g.cycle_median = median(g.cycles)
            rows.append(g)
        rows.sort(key=lambda g: (-g.won_amount, g.label))
        out.append(rows)
    return out

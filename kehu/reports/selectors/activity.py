"""Rep activity (DOMAIN.md §7, issue 12): per rep in the filter's scope and period — new
customers, follow-ups by type, visits by level, prospects, qualified customers, quotes, deals won,
revenue, collections, planned follow-ups missed — and the leaderboard over the same rows.

Every column is one SQL GROUP BY over its source table, whatever the number of reps (a fixed
number of queries: `ACTIVITY_QUERIES`). Exactly what each column counts: docs/rules.md
"### Rep activity and leaderboard". The figures belong to the rep who owns them (the rows are
`flt.reps()`), the same for every reader; the lead source, when chosen, narrows every column to
the customers of that source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, IntegerField, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.money import CENT
from kehu.reports.filters import ReportFilter

MISSED_LIMIT = 100  # rows of one rep's missed follow-ups listed (the count is exact)

# The leaderboard's measures: (key, label). The first is the default.
RANK_MEASURES = [
    ("won", _("Won amount")),
    ("revenue", _("Revenue")),
    ("collections", _("Collections")),
    ("followups", _("Follow-ups")),
    ("attainment", _("Attainment of the won target")),
]
RANK_DEFAULT = "won"


def day_start(day: date) -> datetime:
    """Local midnight at the start of `day`, aware."""
    return timezone.make_aware(datetime.combine(day, time.min))


def moments(period) -> tuple[datetime, datetime]:
    """[start, end) of the period's days as aware moments (an index-friendly range)."""
    return day_start(period.start), day_start(period.end + timedelta(days=1))


@dataclass
class RepRow:
    rep: object
    new_customers: int = 0
    kinds: dict = field(default_factory=dict)  # {Activity.Kind value: count}
    followups: int = 0
    levels: dict = field(default_factory=dict)  # {VisitLevel value: count}
    visits_unlevelled: int = 0
    prospects: int = 0
    qualified: int = 0
    quotes: int = 0
    won_count: int = 0
    won_amount: Decimal = Decimal("0.00")
    revenue: Decimal = Decimal("0.00")
    collected: Decimal = Decimal("0.00")
    missed: int = 0
    target_amount: Decimal | None = None
    rank: int | None = None

    @property
    def attained(self) -> Decimal | None:
        """won ÷ the won target of the period (4 decimals half-up); None without a positive target."""
        if not self.target_amount:
            return None
        return (self.won_amount / self.target_amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    def measure(self, key: str):
        return {"won": self.won_amount, "revenue": self.revenue, "collections": self.collected,
                "followups": self.followups, "attainment": self.attained}[key]


def _not_gone(prefix: str = "") -> Q:
    """Customers in the recycle bin or merged away count for nobody."""
    p = f"{prefix}__" if prefix else ""
    return Q(**{f"{p}is_deleted": False, f"{p}merged_into__isnull": True})


def _alive_customer() -> Q:
    """On a row with a customer: the same rows as joining `_not_gone("customer")` (a row without a
    customer left out too), by a NOT IN of the few customers in the recycle bin or merged away
    instead of a join to the customers (as `revenue_by` does)."""
    from kehu.customers.models import Customer

    deleted = Customer.objects.filter(is_deleted__in=[True]).order_by().values("pk")  # IN: the index on is_deleted
    merged = Customer.objects.filter(merged_into__isnull=False).order_by().values("pk")
    return Q(customer_id__isnull=False) & ~Q(customer_id__in=deleted) & ~Q(customer_id__in=merged)


def _source(flt, path: str) -> Q:
    return Q(**{path: flt.lead_source}) if flt.lead_source else Q()


def kinds():
    from kehu.activities.models import Activity

    return [value for value, _label in Activity.Kind.choices]


def levels():
    from kehu.activities.models import Activity

    return [value for value, _label in Activity.VisitLevel.choices]


def missed_q(period, today: date) -> Q:
    """Planned follow-ups missed in `period`, on Activity: due on a day of the period that is
    already past (before today), and not fulfilled or cancelled by the end of their due day —
    still planned, or closed (done or cancelled) on a later day."""
    last = min(period.end, today - timedelta(days=1))
    return (Q(due_on__isnull=False, due_on__gte=period.start, due_on__lte=last)
            & (Q(status="planned") | Q(status__in=["done", "cancelled"], closed_at__date__gt=F("due_on"))))


SMALL_SCOPE = 25  # reps: up to this many, the stage changes are read through the scope's customers


def stage_entries(*, begin: datetime, end: datetime, owner_ids, lead_source=None) -> dict[int, tuple[int, int]]:
    """{owner id: (prospects, qualified)}: distinct customers moved into prospect / qualified in
    [begin, end), counted for the customer's owner now (customers in the recycle bin or merged
    away left out), for the owners `owner_ids` (with a lead source: its customers only). One query.

    A few reps: through an IN of their customers (their owner index). Many: every owner grouped
    and the ones outside `owner_ids` dropped here — an IN list on the owner in the join makes
    SQLite probe the list for every stage change."""
    from kehu.customers.models import Customer, CustomerStageChange

    from kehu.customers.summaries import stage_entry_counts, whole_months

    wanted = set(owner_ids)
    if not wanted:
        return {}
    months = whole_months(begin, end)
    if months is not None and not lead_source:  # whole months: the stage-entry summary (exact, no join)
        counts = stage_entry_counts(first=months[0], after=months[1], stages=[Customer.Stage.PROSPECT, Customer.Stage.QUALIFIED],
                                    owner_ids=wanted if len(wanted) <= SMALL_SCOPE else None)
        return {owner_id: (c.get(Customer.Stage.PROSPECT, 0), c.get(Customer.Stage.QUALIFIED, 0))
                for owner_id, c in counts.items() if owner_id in wanted}
    return stage_entries_live(begin=begin, end=end, owner_ids=wanted, lead_source=lead_source)


def stage_entries_live(*, begin: datetime, end: datetime, owner_ids, lead_source=None) -> dict[int, tuple[int, int]]:
    """`stage_entries` counted from the stage changes (any window; the summary's reference)."""
    from kehu.customers.models import Customer, CustomerStageChange

    wanted = set(owner_ids)
    if not wanted:
        return {}
    qs = CustomerStageChange.objects.filter(_not_gone("customer"), to_stage__in=[Customer.Stage.PROSPECT, Customer.Stage.QUALIFIED],
                                            at__gte=begin, at__lt=end)
    if lead_source:
        qs = qs.filter(customer__lead_source=lead_source)
    if len(wanted) <= SMALL_SCOPE:
        qs = qs.filter(customer_id__in=Customer.objects.filter(owner_id__in=sorted(wanted)).values("pk"))
    rows = (qs.order_by().values("customer__owner_id").annotate(
        p=Count("customer_id", distinct=True, filter=Q(to_stage=Customer.Stage.PROSPECT)),
        q=Count("customer_id", distinct=True, filter=Q(to_stage=Customer.Stage.QUALIFIED))))
    return {row["customer__owner_id"]: (row["p"], row["q"]) for row in rows if row["customer__owner_id"] in wanted}


def rep_activity(flt) -> dict:
    """{"rows": [RepRow] by username, "totals": RepRow (rep None)} for the filter `flt`."""
    from kehu.activities.models import Activity
    from kehu.activities.summaries import followup_counts
    from kehu.customers.models import Customer
    from kehu.planning.selectors.targets import collection_lines, user_target_amounts
    from kehu.sales.models import Opportunity, Quote
    from kehu.sales.summaries import revenue_by

    period = flt.period
    today = flt.today or timezone.localdate()
    # Every rep the reader sees (the filter's rep picker lists them: read once), then the team or
    # rep chosen — the rows of `flt.reps()`.
    visible = list(ReportFilter(reader=flt.reader, period=period).reps())
    if flt.rep is not None:
        reps = [r for r in visible if r.pk == flt.rep.pk]
    elif flt.team is not None:
        reps = [r for r in visible if r.team_id == flt.team.pk]
    else:
        reps = visible
    ids = [r.pk for r in reps]
    rows = {r.pk: RepRow(rep=r, kinds={k: 0 for k in kinds()}, levels={lv: 0 for lv in levels()}) for r in reps}
    if not ids:
        return {"rows": [], "totals": _totals([]), "visible_reps": visible}
    begin, end = moments(period)

    # 1. new customers (created in the period, owned by the rep now, neither in the recycle bin
    # nor merged away: the partial index customer_new_idx (owner, created_at) alone), 3. planned
    # follow-ups missed and 5. quotes created in the period by their owner: three counts per
    # rep, one query (UNION ALL: each part keeps its own plan).
    def counted(qs, part):
        return qs.order_by().values("owner_id").annotate(n=Count("*"), part=Value(part, output_field=IntegerField())).values_list(
            "part", "owner_id", "n")

    new = counted(Customer.objects.filter(_source(flt, "lead_source"), owner_id__in=ids, is_deleted=False, merged_into__isnull=True,
                                          created_at__gte=begin, created_at__lt=end), 1)
    missed = counted(Activity.objects.filter(missed_q(period, today), _alive_customer(), _source(flt, "customer__lead_source"), owner_id__in=ids), 3)
    quotes = counted(Quote.objects.filter(_alive_customer(), _source(flt, "customer__lead_source"), owner_id__in=ids, created_at__gte=begin,
                                          created_at__lt=end), 5)
    for part, owner_id, n in new.union(missed, quotes, all=True):
        if part == 1:
            rows[owner_id].new_customers = n
        elif part == 3:
            rows[owner_id].missed = n
        else:
            rows[owner_id].quotes = n

    # 2. follow-ups logged (status done with a time) by type, visits by level, whatever later
    # became of the customer: from the follow-up summary (whole months) and the rows at the edges
    # (`followup_counts`); with a lead source chosen, from the rows of that source's customers.
    if flt.lead_source:
        counts = {}
        for row in (Activity.objects.filter(status="done", at__isnull=False, at__gte=begin, at__lt=end, customer__lead_source=flt.lead_source,
                                            owner_id__in=ids)
                    .order_by().values("owner_id", "kind", "visit_level").annotate(n=Count("pk"))):
            counts[(row["owner_id"], row["kind"], row["visit_level"])] = row["n"]
    else:
        counts = followup_counts(date_from=period.start, date_to=period.end, owner_ids=ids, by=("owner", "kind", "visit_level"))
    for (owner_id, kind, level), n in counts.items():
        target = rows[owner_id]
        target.kinds[kind] = target.kinds.get(kind, 0) + n
        target.followups += n
        if kind == "visit":
            if level:
                target.levels[level] = target.levels.get(level, 0) + n
            else:
                target.visits_unlevelled += n
    # 4. prospects and qualified customers: distinct customers moved into the stage in the period,
    # counted for the customer's owner now.
    for owner_id, (p, q) in stage_entries(begin=begin, end=end, owner_ids=ids, lead_source=flt.lead_source).items():
        rows[owner_id].prospects, rows[owner_id].qualified = p, q

    # 6. deals won: §7's won of the weighted pipeline (`weighted_pipeline_by(...).won` and
    # `.won_count`: won deals with closed_on in the period, Σ integer cents), by owner — only the
    # won deals closed in the period read (the closed_on index), not the open pipeline's sums.
    cents = ExpressionWrapper(F("amount"), output_field=BigIntegerField())
    for row in (Opportunity.objects.filter(_source(flt, "customer__lead_source"), owner_id__in=ids, stage__is_won=True, closed_on__isnull=False,
                                           closed_on__gte=period.start, closed_on__lte=period.end)
                .order_by().values("owner_id").annotate(won=Sum(cents), n=Count("*"))):
        rows[row["owner_id"]].won_count = row["n"]
        rows[row["owner_id"]].won_amount = (Decimal(int(row["won"] or 0)) / 100).quantize(Decimal("0.01"))

    # 7. revenue: Σ line revenue of the orders the rep owns dated in the period (the anomaly
    # report's rep_month_revenue rule: customers in the recycle bin or merged away left out).
    # Whole months from the monthly revenue summary, the edges from the lines (revenue_by).
    def narrow(qs, prefix):
        qs = qs.filter(**{f"{prefix}owner_id__in": ids})
        return qs.filter(**{f"{prefix}customer__lead_source": flt.lead_source}) if flt.lead_source else qs

    for row in revenue_by(first=period.start, last=period.end, group=("owner_id",), narrow=narrow):
        if row["owner_id"] in rows:
            rows[row["owner_id"]].revenue = Decimal(row["revenue"]).quantize(CENT)

    # 8. collections: as the planning attainment credits them (collection_lines).
    lines = collection_lines(date_from=period.start, date_to=period.end).filter(rep_id__in=ids)
    if flt.lead_source:
        lines = lines.filter(payment__customer__lead_source=flt.lead_source)
    for row in lines.order_by().values("rep_id").annotate(s=Sum("amount")):
        rows[row["rep_id"]].collected = Decimal(row["s"] or 0).quantize(CENT)

    # 9. the won target of the period (for the attainment column and ranking).
    for rep_id, amount in user_target_amounts(user_ids=ids, period=period).items():
        rows[rep_id].target_amount = amount

    ordered = [rows[r.pk] for r in reps]
    return {"rows": ordered, "totals": _totals(ordered), "visible_reps": visible}


# the reader's teams, reps, new customers + missed + quotes (one UNION ALL), logged (2: the
# summary's whole months, the rows at the edges; 1 with a lead source), stage changes, won,
# revenue, collections, targets
ACTIVITY_QUERIES = 10


def _totals(rows: list[RepRow]) -> RepRow:
    total = RepRow(rep=None, kinds={k: 0 for k in kinds()}, levels={lv: 0 for lv in levels()})
    for r in rows:
        total.new_customers += r.new_customers
        for k, n in r.kinds.items():
            total.kinds[k] += n
        for lv, n in r.levels.items():
            total.levels[lv] += n
        total.followups += r.followups
        total.visits_unlevelled += r.visits_unlevelled
        total.prospects += r.prospects
        total.qualified += r.qualified
        total.quotes += r.quotes
        total.won_count += r.won_count
        total.won_amount += r.won_amount
        total.revenue += r.revenue
        total.collected += r.collected
        total.missed += r.missed
    targets = [r.target_amount for r in rows if r.target_amount is not None]
    total.target_amount = sum(targets, Decimal("0.00")) if targets else None
    return total


def leaderboard(rows: list[RepRow], measure: str) -> list[RepRow]:
    """The rows ranked by `measure`, highest first, ties by username; a rep without a value
    (attainment without a target) after every rep with one. Sets `rank` (1, 2, 3 … — a tie
    still gets the next number: the username decides)."""
    with_value = [r for r in rows if r.measure(measure) is not None]
    without = [r for r in rows if r.measure(measure) is None]
    ranked = sorted(with_value, key=lambda r: r.rep.username)
    ranked.sort(key=lambda r: r.measure(measure), reverse=True)  # stable: username order within a tie
    ranked += sorted(without, key=lambda r: r.rep.username)
    for position, r in enumerate(ranked, start=1):
        r.rank = position
    return ranked


def missed_list(flt, rep) -> dict:
    """One rep's missed planned follow-ups in the period (the rule of `missed_q`), the ones the
    reader may open, oldest due first: {"rows" (at most MISSED_LIMIT), "count"}. One query (two
    when there are more than MISSED_LIMIT)."""
    from kehu.activities.models import Activity

    today = flt.today or timezone.localdate()
    qs = (Activity.objects.visible_to(flt.reader).filter(missed_q(flt.period, today), _not_gone("customer"), _source(flt, "customer__lead_source"),
                                                         owner_id=rep.pk))
    rows = list(qs.select_related("customer", "contact").order_by("due_on", "id")[:MISSED_LIMIT + 1])
    count = len(rows) if len(rows) <= MISSED_LIMIT else qs.count()  # counted only past the list
    rows = rows[:MISSED_LIMIT]
    for row in rows:
        row.closed_on = timezone.localdate(row.closed_at) if row.closed_at else None
    return {"rows": rows, "count": count, "capped": count > len(rows)}

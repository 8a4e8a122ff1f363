"""Reads of selling, each starting from the visibility scope (`visible_to(user)`) and owning
its `select_related` / `annotate`: the opportunity list and board, the opportunity page, the
quotes and the approval queue, what a quote form offers."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from kehu.core.money import quantize_cents
from kehu.core.views import get_visible_or_404
from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange, Product, Quote

# --- opportunities ----------------------------------------------------------------------------


def opportunity_list(
    *, user, open_only: bool = False, owner=None, close_from: date | None = None, close_to: date | None = None,
    stage: OpportunityStage | None = None, search: str = "",
):
    """The opportunities `user` sees, filtered. The period (`close_from`..`close_to`, both ends
    inclusive) is about when a deal closes: an open opportunity by its expected close date, a
    won or lost one by the day it was actually closed (DOMAIN.md §7)."""
    qs = Opportunity.objects.visible_to(user).select_related("customer", "owner", "stage")
    if open_only:
        qs = qs.filter(stage__is_closed=False)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if close_from is not None:
        qs = qs.filter(Q(stage__is_closed=False, expected_close_on__gte=close_from) | Q(stage__is_closed=True, closed_on__gte=close_from))
    if close_to is not None:
        qs = qs.filter(Q(stage__is_closed=False, expected_close_on__lte=close_to) | Q(stage__is_closed=True, closed_on__lte=close_to))
    if stage is not None:
        qs = qs.filter(stage=stage)
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(code__iexact=search) | Q(customer__name__icontains=search)
                       | Q(customer__code__iexact=search))
    return qs


def opportunity_get_visible_or_404(*, user, pk) -> Opportunity:
    return get_visible_or_404(opportunity_list(user=user), pk=pk)


DEALS_READ = 11  # the customer page's deals panel shows 10 and "more" when there is an 11th


def _null_key(day, *, nulls_last: bool) -> tuple:
    """A sort key for a nullable date as the database orders it ascending: NULL first on SQLite, last on PostgreSQL."""
    from datetime import date

    return ((day is None) == nulls_last, day or date.min)


def _page_opportunities(customer, user) -> list[Opportunity]:
    """On the customer page: every open opportunity of the customer plus the first DEALS_READ of
    the deals panel's order, in ONE query, with their stage and `closed` (0/1); shared by the deals
    panel and the follow-up forms (kehu.customers.selectors.page_memo)."""
    from django.db.models import Case, IntegerField, Value, When

    from kehu.customers.selectors import page_memo

    memo = page_memo(customer)
    cached = memo.get("sales.opportunities")
    if cached is None or cached[0] != user.pk:
        scoped = Opportunity.objects.visible_to(user).filter(customer_id=customer.pk)
        closed = Case(When(stage__is_closed=True, then=Value(1)), default=Value(0), output_field=IntegerField())
        first = scoped.annotate(closed=closed).order_by("closed", "expected_close_on", "-id").values("pk")[:DEALS_READ]
        rows = list(scoped.filter(Q(stage__is_closed=False) | Q(pk__in=first)).select_related("stage").annotate(closed=closed))
        cached = memo["sales.opportunities"] = (user.pk, rows)
    return cached[1]


def customer_deals_opportunities(*, user, customer, limit: int = DEALS_READ) -> list[Opportunity]:
    """The customer's opportunities as its page's deals panel lists them: open ones first (by
    expected close), then the closed; with their stage and `closed` (0/1). On the customer page
    from the read it shares with the follow-up forms."""
    from django.db.models import Case, IntegerField, Value, When

    from kehu.customers.selectors import page_memo

    if page_memo(customer) is not None and limit <= DEALS_READ:
        nulls_last = connection.vendor == "postgresql"
        rows = sorted(_page_opportunities(customer, user),
                      key=lambda o: (o.closed, _null_key(o.expected_close_on, nulls_last=nulls_last), -o.pk))
        return rows[:limit]
    return list(
        Opportunity.objects.visible_to(user).filter(customer_id=customer.pk).select_related("stage")
        .annotate(closed=Case(When(stage__is_closed=True, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("closed", "expected_close_on", "-id")[:limit]
    )


def page_opportunities_by_id(customer) -> dict[int, Opportunity] | None:
    """On the customer page: {id: opportunity} of the read shared by the deals panel and the
    follow-up forms (every open one and the panel's first rows); None elsewhere."""
    from kehu.customers.selectors import page_memo

    memo = page_memo(customer)
    user = memo.get("user") if memo is not None else None
    if user is None:
        return None
    return {o.pk: o for o in _page_opportunities(customer, user)}


def _open_from_page(customer) -> list[Opportunity] | None:
    """On the customer page: the open opportunities from the read shared with the deals panel, in
    `open_opportunities_of`'s order (expected close as the database sorts it, then id); else None."""
    from kehu.customers.selectors import page_memo

    memo = page_memo(customer)
    user = memo.get("user") if memo is not None else None
    if user is None:
        return None
    nulls_last = connection.vendor == "postgresql"
    return sorted((o for o in _page_opportunities(customer, user) if not o.closed),
                  key=lambda o: (_null_key(o.expected_close_on, nulls_last=nulls_last), o.pk))


def open_opportunities_of(customer) -> list[Opportunity]:
    """The customer's open opportunities (one query, remembered on the customer object so the
    customer page's panels share it; on the page taken from the deals panel's read when it holds them all)."""
    cached = getattr(customer, "_open_opportunities", None)
    if cached is None:
        cached = _open_from_page(customer)
    if cached is None:
        cached = list(Opportunity.objects.filter(customer_id=customer.pk, stage__is_closed=False)
                      .select_related("stage").order_by("expected_close_on", "pk"))
        try:
            customer._open_opportunities = cached
        except AttributeError:
            pass
    return cached


def stage_list() -> list[OpportunityStage]:
    """The opportunity stages in their order (the board's columns, the move selector)."""
    return list(OpportunityStage.objects.all())


def opportunity_stage_changes(*, opportunity) -> list[OpportunityStageChange]:
    """The opportunity's stage history, newest first."""
    return list(OpportunityStageChange.objects.filter(opportunity=opportunity)
                .select_related("from_stage", "to_stage", "user").order_by("-at", "-id"))


def opportunity_activities(*, user, opportunity, limit: int) -> list:
    """The follow-ups linked to the opportunity that `user` sees, newest first."""
    from kehu.activities.models import Activity

    return list(Activity.objects.visible_to(user).filter(opportunity=opportunity)
                .select_related("owner", "contact").order_by("-at", "-due_on", "-id")[:limit])


def opportunity_quotes(*, user, opportunity, limit: int) -> list[Quote]:
    return list(Quote.objects.visible_to(user).filter(opportunity=opportunity)
                .select_related("owner").order_by("-created_at", "-id")[:limit])


# --- the pipeline board -------------------------------------------------------------------------

BOARD_CARDS = 20  # cards per open column on the board, and per "more" (docs/rules.md, "Pipeline board")
# At most this many visible open deals under the filter: their sort keys are read in one query and
# the cards picked in Python; above, each column walks the (stage, expected close, amount) index.
BOARD_GATHER = 1000
CARD_FIELDS = ("code", "title", "amount", "currency", "probability", "expected_close_on", "stage", "customer", "owner",
               "customer__name", "owner__name", "owner__username")


@dataclass
class Column:
    stage: OpportunityStage
    cards: list = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")
    dated: int = 0  # how many have an expected close date (they come first)

    @property
    def remaining(self) -> int:
        """Open deals of the column not drawn yet (the "more" button)."""
        return 0 if self.stage.is_closed else max(self.count - len(self.cards), 0)


def card_order_key(opportunity_or_row):
    """The board's card order (docs/rules.md): expected close date, soonest first (an overdue
    deal before today's), undated deals last; then the larger amount first; then the older id."""
    pk, close_on, amount = opportunity_or_row
    return (close_on is None, close_on or date.min, -amount, pk)


def _column_slices(qs, columns: list[Column], offset: int, limit: int):
    """Q of the card ids of `columns` at `offset`..`offset + limit` in card order, one subquery per
    column and part (dated by the index order; undated, which an index of the dates puts first in
    SQLite and last in PostgreSQL, apart): each stops after `limit` rows."""
    parts = []
    for column in columns:
        stage_qs = qs.filter(stage_id=column.stage.pk)
        if offset < column.dated:
            parts.append(stage_qs.filter(expected_close_on__isnull=False)
                         .order_by("expected_close_on", "-amount", "pk").values("pk")[offset:offset + limit])
        if offset + limit > column.dated and column.count > column.dated:
            start = max(offset - column.dated, 0)
            parts.append(stage_qs.filter(expected_close_on__isnull=True).order_by("-amount", "pk")
                         .values("pk")[start:offset + limit - column.dated])
    if len(parts) > 1 and connection.vendor == "postgresql":
        # One UNION ALL of the slices: PostgreSQL then knows it reads a few dozen ids and looks
        # the cards up by key (an OR of IN-subqueries it plans as thousands, hashing every customer).
        return Q(pk__in=parts[0].union(*parts[1:], all=True))
    q = Q()
    for part in parts:
        q |= Q(pk__in=part)
    return q


def board_cards(*, qs, columns: list[Column], offset: int = 0, limit: int = BOARD_CARDS) -> None:
    """Fill each open column's `cards` with its deals `offset`..`offset + limit` in card order
    (`qs`: the board's filtered, visible opportunities; each column's `count` and `dated` known).
    Two queries at most, whatever the number of deals or stages."""
    wanted = [c for c in columns if not c.stage.is_closed and c.count > offset]
    if not wanted:
        return
    if sum(c.count for c in wanted) <= BOARD_GATHER:
        # Few deals in scope (a rep's board): read their keys, pick in Python.
        keys: dict[int, list] = {c.stage.pk: [] for c in wanted}
        for pk, stage_id, close_on, amount in qs.filter(stage_id__in=list(keys)).order_by().values_list(
                "pk", "stage_id", "expected_close_on", "amount"):
            keys[stage_id].append((pk, close_on, amount))
        ids = [row[0] for rows in keys.values() for row in sorted(rows, key=card_order_key)[offset:offset + limit]]
        cards_q = Q(pk__in=ids)
    else:
        cards_q = _column_slices(qs, wanted, offset, limit)
    cards = list(Opportunity.objects.filter(cards_q).select_related("customer", "owner").only(*CARD_FIELDS).order_by())
    cards.sort(key=lambda o: card_order_key((o.pk, o.expected_close_on, o.amount)))
    by_stage = {c.stage.pk: c for c in wanted}
    for card in cards:
        by_stage[card.stage_id].cards.append(card)


def board_sums(*, qs, stages, close_from: date | None = None, close_to: date | None = None) -> list[Column]:
    """A column per stage with the count, total and weighted total over ALL its deals in `qs`
    (one grouped SQL query; the weighted total is §7's, `weighted_pipeline_by`'s aggregate)."""
    columns = {s.pk: Column(stage=s) for s in stages}
    rows = qs.order_by().values("stage_id").annotate(
        **_pipeline_aggregates(close_from, close_to), n=Count("pk"), amount_sum=Sum("amount"),
        n_dated=Count("pk", filter=Q(expected_close_on__isnull=False)),
    )
    for row in rows:
        column = columns.get(row["stage_id"])
        if column is None:
            continue
        column.count, column.dated = row["n"], row["n_dated"]
        column.total = quantize_cents(row["amount_sum"] or 0)  # Sum of a MoneyField: exact cents, as Decimal
        column.weighted = _sums(row).total
    return [columns[s.pk] for s in stages]


def effective_probability(opportunity) -> int:
    """The rep's probability if set, else the stage's default."""
    return opportunity.probability if opportunity.probability is not None else opportunity.stage.probability


def weighted_total(opportunities) -> Decimal:
    """Σ amount × probability ÷ 100 of opportunities in hand, summed exactly and rounded to the
    cent once (the rule of `weighted_pipeline`, for a list already read)."""
    return quantize_cents(sum((o.amount * effective_probability(o) / 100 for o in opportunities), Decimal(0)))


# --- the weighted pipeline (DOMAIN.md §7): one function for `kehu pipeline`, the board and every report

@dataclass(frozen=True)
class PipelineSums:
    open_weighted: Decimal = Decimal("0.00")
    won: Decimal = Decimal("0.00")
    open_amount: Decimal = Decimal("0.00")
    open_count: int = 0
    won_count: int = 0

    @property
    def total(self) -> Decimal:
        return self.open_weighted + self.won

    def as_json(self) -> dict:
        return {"open_weighted": str(self.open_weighted), "won": str(self.won), "total": str(self.total)}


def _pipeline_aggregates(date_from: date | None, date_to: date | None) -> dict:
    """SQL sums over integer cents (exact on both databases): open opportunities expected to
    close in the period weighted by the rep's probability else the stage's, and won ones
    closed in it."""
    from django.db.models import BigIntegerField, Case, ExpressionWrapper, F, Value, When
    from django.db.models.functions import Coalesce

    # Unbounded (the board without a period) counts every open deal; a period only the deals
    # expected to close in it (an undated deal is in no period).
    open_q = Q(stage__is_closed=False)
    won_q = Q(stage__is_won=True, closed_on__isnull=False)
    if date_from is not None:
        open_q &= Q(expected_close_on__gte=date_from)
        won_q &= Q(closed_on__gte=date_from)
    if date_to is not None:
        open_q &= Q(expected_close_on__lte=date_to)
        won_q &= Q(closed_on__lte=date_to)
    cents = ExpressionWrapper(F("amount"), output_field=BigIntegerField())
    weighted = ExpressionWrapper(F("amount") * Coalesce("probability", "stage__probability"), output_field=BigIntegerField())
    zero = Value(0, output_field=BigIntegerField())
    return {
        "w": Coalesce(Sum(Case(When(open_q, then=weighted), default=zero, output_field=BigIntegerField())), zero),
        "oa": Coalesce(Sum(Case(When(open_q, then=cents), default=zero, output_field=BigIntegerField())), zero),
        "won": Coalesce(Sum(Case(When(won_q, then=cents), default=zero, output_field=BigIntegerField())), zero),
        "on": Count("pk", filter=open_q),
        "wn": Count("pk", filter=won_q),
    }


def _in_period(opportunities, date_from: date | None, date_to: date | None):
    """Only the rows that can count (expected or closed in the period): the indexes on
    expected_close_on and closed_on answer it instead of reading every opportunity."""
    if date_from is None or date_to is None:
        return opportunities
    return opportunities.filter(Q(expected_close_on__range=(date_from, date_to)) | Q(closed_on__range=(date_from, date_to)))


def _sums(row: dict) -> PipelineSums:
    # w is Σ cents × percent: ÷ 10,000 gives the amount, rounded half-up to the cent once.
    return PipelineSums(
        open_weighted=quantize_cents(Decimal(int(row["w"])) / 10000), won=(Decimal(int(row["won"])) / 100).quantize(Decimal("0.01")),
        open_amount=(Decimal(int(row["oa"])) / 100).quantize(Decimal("0.01")), open_count=row["on"], won_count=row["wn"],
    )


def weighted_pipeline(*, opportunities, date_from: date | None = None, date_to: date | None = None) -> PipelineSums:
    """DOMAIN.md §7: the weighted pipeline of `opportunities` (a queryset that already holds
    the visibility scope and any owner filter) for the period `date_from`..`date_to` (both ends
    inclusive; None = unbounded): Σ amount × probability ÷ 100 over the open ones expected to
    close in it, plus the amount of the won ones closed in it. One query."""
    aggregates = _pipeline_aggregates(date_from, date_to)
    return _sums(_in_period(opportunities, date_from, date_to).order_by().aggregate(**aggregates))


def weighted_pipelines(*, opportunities, periods) -> list[PipelineSums]:
    """`weighted_pipeline` of `opportunities` for each (date_from, date_to) of `periods` (bounded),
    in ONE query: the same sums, one set of conditional aggregates per period (the workbench's
    month and quarter)."""
    aggregates = {}
    for i, (date_from, date_to) in enumerate(periods):
        aggregates.update({f"p{i}_{k}": v for k, v in _pipeline_aggregates(date_from, date_to).items()})
    if not aggregates:
        return []
    # the rows that can count, as _in_period, over the periods' spans merged (a month inside its
    # quarter reads the quarter's rows: one range per index)
    spans: list[list[date]] = []
    for date_from, date_to in sorted(periods):
        if spans and date_from <= spans[-1][1] + timedelta(days=1):
            spans[-1][1] = max(spans[-1][1], date_to)
        else:
            spans.append([date_from, date_to])
    where = Q()
    for date_from, date_to in spans:
        where |= Q(expected_close_on__range=(date_from, date_to)) | Q(closed_on__range=(date_from, date_to))
    row = opportunities.filter(where).order_by().aggregate(**aggregates)
    return [_sums({k: row[f"p{i}_{k}"] for k in ("w", "oa", "won", "on", "wn")}) for i in range(len(periods))]


def weighted_pipeline_by(*, opportunities, group: str, date_from: date | None = None, date_to: date | None = None) -> dict:
    """`weighted_pipeline` per value of `group` (a field path: "owner_id", "stage_id"), one query."""
    aggregates = _pipeline_aggregates(date_from, date_to)
    rows = _in_period(opportunities, date_from, date_to).order_by().values(group).annotate(**aggregates)
    return {row[group]: _sums(row) for row in rows}


def pipeline_columns(*, user, limit: int = BOARD_CARDS, **filters) -> list[Column]:
    """Open stages with their first `limit` cards in card order; closed stages (won, lost) with
    counts and totals only. Every column's count, total and weighted total are over ALL its deals
    under the filter. `filters` as for `opportunity_list`: in a period, won and lost deals count by
    the day they were closed, open ones by their expected close date. The weighted sum is the
    weighted pipeline of §7. Four queries at most (stages, sums, and two for the cards)."""
    qs = opportunity_list(user=user, **filters)
    columns = board_sums(qs=qs, stages=stage_list(), close_from=filters.get("close_from"), close_to=filters.get("close_to"))
    board_cards(qs=qs, columns=columns, limit=limit)
    return columns


def pipeline_column_more(*, user, stage: OpportunityStage, offset: int, limit: int = BOARD_CARDS, **filters) -> Column:
    """One open column's cards `offset`..`offset + limit` under the board's filter (the "more"
    of a column), with the column's count and sums."""
    qs = opportunity_list(user=user, **filters).filter(stage=stage)
    column = board_sums(qs=qs, stages=[stage], close_from=filters.get("close_from"), close_to=filters.get("close_to"))[0]
    board_cards(qs=qs, columns=[column], offset=offset, limit=limit)
    return column


# --- quotes ---------------------------------------------------------------------------------------

def quote_list(*, user, status: str = ""):
    qs = Quote.objects.visible_to(user).select_related("customer", "owner", "opportunity")
    if status:
        qs = qs.filter(status=status)
    return qs


RECENT_QUOTES_READ = 30  # the customer page's timeline panel shows 30; its deals panel the first 10 of the same


def customer_recent_quotes(*, customer, user, limit: int) -> list[Quote]:
    """The customer's latest `limit` quotes `user` sees, newest first, with their owner. On the
    customer page (its `page_memo`) read once: the deals panel and the timeline share it."""
    from kehu.customers.selectors import page_memo

    memo = page_memo(customer)
    cached = memo.get("recent_quotes") if memo is not None else None
    if cached is not None and cached[0] == user.pk and (cached[1] >= limit or len(cached[2]) < cached[1]):
        return cached[2][:limit]
    read = max(limit, RECENT_QUOTES_READ) if memo is not None else limit
    rows = list(Quote.objects.visible_to(user).filter(customer_id=customer.pk).select_related("owner")
                .order_by("-created_at", "-id")[:read])
    if memo is not None:
        memo["recent_quotes"] = (user.pk, read, rows)
    return rows[:limit]


def quote_get_visible_or_404(*, user, pk) -> Quote:
    return get_visible_or_404(Quote.objects.visible_to(user).select_related("customer", "owner", "opportunity", "decided_by"), pk=pk)


def quote_lines(*, quote) -> list:
    return list(quote.lines.select_related("product"))


def products_for_sale(*, include=()) -> list[Product]:
    """The products a quote line may offer: those still sold, plus `include` (the products
    already on the lines being edited, so a product no longer sold stays shown there — and is
    refused by the line check until the line changes)."""
    products = list(Product.objects.filter(is_active=True).order_by("name", "code"))
    known = {p.pk for p in products}
    return products + [p for p in include if p.pk not in known and not known.add(p.pk)]


def quote_opportunities(*, customer, current=None) -> list[Opportunity]:
    """The customer's open and won opportunities (and the quote's own, even if lost since):
    those a quote may be linked to (kehu.sales.services.quotes._check_opportunity)."""
    opps = list(Opportunity.objects.filter(customer_id=customer.pk).filter(Q(stage__is_closed=False) | Q(stage__is_won=True))
                .select_related("stage").order_by("-created_at", "-id"))
    if current is not None and current.pk not in {o.pk for o in opps}:
        opps.insert(0, current)
    return opps


def quote_approval_queue(*, user):
    """Pending quotes `user` may decide, oldest submission first: for an admin every pending
    quote (but their own); for a manager those owned by members of the teams they manage.
    Never the quotes `user` owns or submitted (they may not decide them)."""
    from kehu.accounts.visibility import managed_user_ids

    qs = Quote.objects.visible_to(user).filter(status=Quote.Status.PENDING).exclude(owner_id=user.pk)
    qs = qs.exclude(submitted_by_id=user.pk)
    if user.is_admin_role:
        pass
    elif user.is_manager:
        qs = qs.filter(owner_id__in=managed_user_ids(user))
    else:
        return Quote.objects.none()
    return qs.select_related("customer", "owner", "opportunity").order_by("submitted_at", "pk")

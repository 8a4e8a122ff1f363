"""Forecast accuracy per rep and period (DOMAIN.md §7; the arithmetic is kehu.planning.accuracy).

For a period P and a lead time of L days, the cut-off is P's last day − L days. A rep's
forecast F is the commit of their latest submission for P dated on or before the cut-off
(equal dates: the one recorded last — recorded_at, then id); the actual A is their won amount
in P (`kehu.sales.selectors.weighted_pipeline_by(...).won`). A user with the rep role is listed
when they have any submission for P (even one after the cut-off) or A > 0, by username.

`user=None` is the system (the `kehu forecast accuracy` command): every rep. Otherwise only the
reps whose numbers `user` sees (`kehu.planning.querysets.planning_user_q`) — a rep themself, a
manager the members of their teams, the director and finance everyone. A visible rep's actual
is their whole won amount, the number the command prints.

Queries: three — the reps' latest submissions per period, the won amounts of every period, the
users — whatever the number of reps and periods.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import BigIntegerField, Case, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from kehu.accounts.models import User
from kehu.planning.accuracy import Submitted, accuracy_of, bias_of, cutoff_of, forecast_at, mean
from kehu.planning.models import ForecastSubmission
from kehu.planning.periods import Period, parse_period, period_of
from kehu.planning.querysets import planning_user_q
from kehu.sales.models import Opportunity

DEFAULT_LEAD_DAYS = 28
MAX_LEAD_DAYS = 366
KINDS = ("month", "quarter")
MAX_PERIODS = 12


@dataclass(frozen=True)
class AccuracyRow:
    user_id: int
    username: str
    name: str
    period: Period
    cutoff: date
    forecast: Decimal | None
    actual: Decimal
    accuracy: Decimal | None
    bias: Decimal | None

    def as_json(self) -> dict:
        """The row as `kehu forecast accuracy --json` prints it (DATASET.md)."""
        return {
            "user": self.username,
            "forecast": None if self.forecast is None else str(self.forecast),
            "actual": str(self.actual),
            "accuracy": self.accuracy,  # a Decimal: written as an exact JSON number (kehu.core.exactjson)
            "bias": self.bias,
        }


def _period(period) -> Period:
    return period if isinstance(period, Period) else parse_period(str(period), kinds=KINDS)


def _rep_q(user, *, prefix: str, rep_ids=None) -> Q:
    """The reps `user` sees (`prefix`: the path to the user; "" on User itself)."""
    p = f"{prefix}__" if prefix else ""
    q = Q(**{f"{p}role": User.Role.REP})
    if user is not None:
        q &= planning_user_q(user, prefix=prefix)
    if rep_ids is not None:
        q &= Q(**{f"{prefix}_id__in" if prefix else "pk__in": list(rep_ids)})
    return q


def _latest(periods: list[Period], *, lead_days: int, user, rep_ids=None) -> dict[tuple[str, int], list[Submitted]]:
    """{(period label, rep id): [] or [the submission counted]} for the reps with a submission for
    each period (listed). One query over the reps whatever the number of periods: per period an
    EXISTS (submitted for it: listed) and the date and commit of the latest submission on or before
    its cut-off (the rule of kehu.planning.accuracy.forecast_at: submitted_on, then recorded_at,
    then id) — a row per rep, not every weekly submission; through the (user, period,
    submitted_on) index."""
    annotations = {}
    for i, p in enumerate(periods):
        cutoff = cutoff_of(p.end, lead_days)
        latest = (ForecastSubmission.objects.filter(user_id=OuterRef("pk"), period=p.label, submitted_on__lte=cutoff)
                  .order_by("-submitted_on", "-recorded_at", "-id"))
        annotations[f"s{i}"] = Exists(ForecastSubmission.objects.filter(user_id=OuterRef("pk"), period=p.label))
        annotations[f"on{i}"] = Subquery(latest.values("submitted_on")[:1])
        annotations[f"c{i}"] = Subquery(latest.values("commit")[:1])
    mine = ForecastSubmission.objects.filter(period__in=[p.label for p in periods]).values("user_id")
    reps = User.objects.filter(_rep_q(user, prefix="", rep_ids=rep_ids), pk__in=mine).annotate(**annotations).order_by()
    submitted: dict[tuple[str, int], list[Submitted]] = {}
    for row in reps.values("pk", *annotations):
        for i, p in enumerate(periods):
            if row[f"s{i}"]:
                # A rep with submissions for P only after the cut-off is listed, without a forecast.
                on = row[f"on{i}"]
                submitted[(p.label, row["pk"])] = [] if on is None else [Submitted(on, None, 0, row[f"c{i}"])]
    return submitted


def _won(periods: list[Period], *, user, rep_ids=None) -> dict[str, dict[int, Decimal]]:
    """{period label: {rep id: won amount > 0}}: §7's won of the weighted pipeline
    (`kehu.sales.selectors.weighted_pipeline_by(...).won`: won deals with closed_on in the
    period, Σ integer cents) for every period in one query over the won deals closed in the
    periods' span (the closed_on index), a conditional sum per period."""
    cents = ExpressionWrapper(F("amount"), output_field=BigIntegerField())
    zero = Value(0, output_field=BigIntegerField())
    sums = {f"w{i}": Coalesce(Sum(Case(When(closed_on__gte=p.start, closed_on__lte=p.end, then=cents), default=zero,
                                            output_field=BigIntegerField())), zero)
            for i, p in enumerate(periods)}
    rows = (Opportunity.objects.filter(_rep_q(user, prefix="owner", rep_ids=rep_ids), stage__is_won=True, closed_on__isnull=False,
                                       closed_on__gte=min(p.start for p in periods), closed_on__lte=max(p.end for p in periods))
            .order_by().values("owner_id").annotate(**sums))
    won: dict[str, dict[int, Decimal]] = {p.label: {} for p in periods}
    for row in rows:
        for i, p in enumerate(periods):
            amount = (Decimal(int(row[f"w{i}"])) / 100).quantize(Decimal("0.01"))
            if amount > 0:
                won[p.label][row["owner_id"]] = amount
    return won


def _rows(periods: list[Period], *, lead_days: int, user, rep_ids=None) -> dict[str, list[AccuracyRow]]:
    """{period label: rows by username} for each of `periods` (`rep_ids`: only these reps).
    Three queries whatever the number of periods and reps."""
    if not periods:
        return {}
    submitted = _latest(periods, lead_days=lead_days, user=user, rep_ids=rep_ids)
    won = _won(periods, user=user, rep_ids=rep_ids)
    listed = {p.label: {uid for (label, uid) in submitted if label == p.label} | set(won[p.label]) for p in periods}
    ids = set().union(*listed.values()) if listed else set()
    people = {u["id"]: u for u in User.objects.filter(pk__in=ids).values("id", "username", "name")} if ids else {}
    result: dict[str, list[AccuracyRow]] = {}
    for p in periods:
        cutoff = cutoff_of(p.end, lead_days)
        rows = []
        for uid in listed[p.label]:
            forecast = forecast_at(submitted.get((p.label, uid), ()), cutoff)
            actual = won[p.label].get(uid, Decimal("0.00"))
            person = people[uid]
            rows.append(AccuracyRow(
                user_id=uid, username=person["username"], name=person["name"] or person["username"], period=p, cutoff=cutoff,
                forecast=forecast, actual=actual, accuracy=accuracy_of(forecast, actual), bias=bias_of(forecast, actual),
            ))
        rows.sort(key=lambda r: r.username)
        result[p.label] = rows
    return result


def forecast_accuracy(*, period, lead_days: int = DEFAULT_LEAD_DAYS, user=None) -> list[AccuracyRow]:
    """§7 forecast accuracy of each rep for `period` (a Period, or "2026-06" / "2026-Q2"), by
    username. `user=None`: every rep (the system); else the reps `user` sees."""
    p = _period(period)
    return _rows([p], lead_days=lead_days, user=user)[p.label]


def closed_periods(*, kind: str, count: int, today: date) -> list[Period]:
    """The last `count` periods of `kind` that ended before `today`, oldest first."""
    periods, p = [], period_of(kind, today).previous()
    for _i in range(count):
        periods.append(p)
        p = p.previous()
    return periods[::-1]


@dataclass(frozen=True)
class PeriodCell:
    period: Period
    cutoff: date
    row: AccuracyRow | None  # None: the rep is not listed for that period


@dataclass
class RepHistory:
    user_id: int
    username: str
    name: str
    cells: list[AccuracyRow | None] = field(default_factory=list)  # one per period, None: not listed then
    mean_accuracy: Decimal | None = None
    mean_bias: Decimal | None = None
    rows: list[PeriodCell] = field(default_factory=list)  # the cells with their period and cut-off, for the table


@dataclass
class AccuracyHistory:
    kind: str
    lead_days: int
    periods: list[Period]
    reps: list[RepHistory]

    def chart(self) -> dict:
        """For the page's chart: numbers as decimal strings (null: no value)."""
        def text(v):
            return None if v is None else str(v)

        return {
            "periods": [p.label for p in self.periods],
            "reps": [{
                "name": r.name,
                "accuracy": [text(c.accuracy) if c else None for c in r.cells],
                "bias": [text(c.bias) if c else None for c in r.cells],
            } for r in self.reps],
        }


def accuracy_history(*, user, kind: str = "quarter", count: int = 4, lead_days: int = DEFAULT_LEAD_DAYS, today: date,
                     rep_ids=None) -> AccuracyHistory:
    """Accuracy of the reps `user` sees over the last `count` closed periods of `kind` (month
    or quarter), oldest first, with each rep's mean accuracy and mean bias over the periods
    that have a value (the mean of the rounded values, rounded half-up to 4 decimals).
    `rep_ids`: only these reps (already checked visible). Queries: 3, whatever the number of
    reps and periods."""
    if kind not in KINDS:
        raise ValueError(kind)
    periods = closed_periods(kind=kind, count=count, today=today)
    by_period = _rows(periods, lead_days=lead_days, user=user, rep_ids=rep_ids)
    reps: dict[int, RepHistory] = {}
    for i, p in enumerate(periods):
        for row in by_period[p.label]:
            rep = reps.get(row.user_id)
            if rep is None:
                rep = reps[row.user_id] = RepHistory(row.user_id, row.username, row.name, [None] * len(periods))
            rep.cells[i] = row
    ordered = sorted(reps.values(), key=lambda r: r.username)
    for rep in ordered:
        rep.rows = [PeriodCell(p, cutoff_of(p.end, lead_days), cell) for p, cell in zip(periods, rep.cells)]
        rep.mean_accuracy = mean(c.accuracy for c in rep.cells if c is not None)
        rep.mean_bias = mean(c.bias for c in rep.cells if c is not None)
    return AccuracyHistory(kind=kind, lead_days=lead_days, periods=periods, reps=ordered)

"""The forecast history of the demo company (`kehu demo`, issue 11), dated relative to today so
that every planning page has something to show on the day the demo is loaded:

- open opportunities of rep1..rep3 closing this and next month / quarter, in the forecast
  categories commit, best case and pipeline, and won and lost deals over the last quarter —
  all written through the sales services, so the audit trail and the stage history have them
  (their rows are then back-dated: AuditEvent.at and the stage changes' `at` are automatic);
- thirteen weeks of weekly submissions of the three reps (one submission per period of
  `forecast_periods(cut-off)`, with a snapshot of the rep's open opportunities), derived from
  their opportunities as they stood that week, varying week to week; rep3 skipped one week,
  which was carried forward;
- this week rep1 and rep2 have submitted and rep3 has not; mgr1 adjusted rep2's month;
- the last seven days' movements for the waterfall: a new deal, one pulled in from next
  quarter, one pushed out to next quarter, one slipping (pushed out twice), an amount up, an
  amount down, one won, one lost.

Only when there is no submission made on the page yet: a second `kehu demo` changes nothing.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

DEMO_REPS = ("rep1", "rep2", "rep3")
CENT = Decimal("0.01")
WEEKS = 17  # a quarter of history and more: the last closed quarter has a forecast at the default 28-day lead
SKIPPED_WEEK = ("rep3", 6)  # rep3 did not submit 6 weeks ago: carried forward by the daily step
SUBMIT_DAYS_BEFORE_CUTOFF = {"rep1": 1, "rep2": 0, "rep3": 2}
ADJUSTMENT_NOTE = "客户预算审批推迟到下月，承诺金额按八成计"
LOST_REASON = "价格高于竞争对手，客户选择了低价方案"


@dataclass
class Deal:
    """One demo opportunity and what happens to it: `events` are (day, kind, value) with kind
    close (a new expected close), amount, won or lost (value = the lost reason)."""

    rep: str
    title: str
    stage: str
    category: str
    amount: Decimal
    close: date | None
    created: date
    events: list = field(default_factory=list)
    opp: object = None

    def state_on(self, day: date):
        """(stage code, amount, close, category) while open on `day`; None before it was
        created or once it was closed."""
        if day < self.created:
            return None
        amount, close = self.amount, self.close
        for when, kind, value in self.events:
            if when > day:
                break
            if kind in ("won", "lost"):
                return None
            if kind == "close":
                close = value
            elif kind == "amount":
                amount = value
        return self.stage, amount, close, self.category


def _aware(day: date, hour: int = 10, minute: int = 0) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _within(period, today: date, share: float) -> date:
    """A day `share` of the way through `period`, not before today (for open deals)."""
    day = period.start + timedelta(days=int((period.days - 1) * share))
    return min(period.end, max(day, today))


def demo_deals(today: date) -> list[Deal]:
    """The demo opportunities, relative to `today`."""
    from kehu.planning.periods import period_of

    m0 = period_of("month", today)
    m1, q0 = m0.next(), period_of("quarter", today)
    m2, q1 = m1.next(), q0.next()
    q1_mid = q1.start + timedelta(days=40)

    def d(n: int) -> date:
        return today - timedelta(days=n)

    won_day = max(d(1), q0.start)  # the deal won this week is won in this quarter
    lost_day = max(d(3), q0.start)
    deals = [
        # open, from before the history (rep, title, stage, category, amount, close, created)
        Deal("rep1", "年底设备更新", "negotiation", "commit", Decimal("320000"), _within(m0, today, 0.7), d(118)),
        Deal("rep1", "产线改造二期", "proposal", "best_case", Decimal("180000"), _within(m0, today, 0.9), d(116)),
        Deal("rep1", "备件年度框架", "negotiation", "commit", Decimal("260000"), _within(m1, today, 0.5), d(112)),
        Deal("rep1", "节能改造试点", "needs_confirmed", "pipeline", Decimal("150000"), _within(m1, today, 0.3), d(108)),
        Deal("rep1", "新厂房设备", "proposal", "best_case", Decimal("420000"), q1_mid, d(104)),
        Deal("rep1", "智能仓储", "first_contact", "pipeline", Decimal("300000"), _within(m2, today, 0.5), d(60)),
        Deal("rep2", "自动化产线", "negotiation", "commit", Decimal("380000"), _within(m0, today, 0.8), d(117)),
        Deal("rep2", "环保设备升级", "proposal", "best_case", Decimal("240000"), _within(m1, today, 0.4), d(113)),
        Deal("rep2", "年度耗材", "negotiation", "commit", Decimal("160000"), _within(m1, today, 0.6), d(109)),
        Deal("rep2", "新园区项目", "needs_confirmed", "pipeline", Decimal("500000"), q1_mid, d(75)),
        Deal("rep2", "控制系统改造", "proposal", "best_case", Decimal("210000"), _within(m2, today, 0.6), d(50)),
        Deal("rep3", "厂区照明改造", "negotiation", "commit", Decimal("140000"), _within(m0, today, 0.6), d(115)),
        Deal("rep3", "维保合同", "negotiation", "commit", Decimal("120000"), _within(m1, today, 0.7), d(111)),
        Deal("rep3", "二期扩建", "proposal", "best_case", Decimal("350000"), q1_mid, d(106)),
        Deal("rep3", "新品试用", "first_contact", "pipeline", Decimal("80000"), _within(m1, today, 0.5), d(40)),
        # this week's movements (the waterfall)
        Deal("rep1", "检测设备采购", "negotiation", "commit", Decimal("200000"), _within(m0, today, 0.6), d(110),
             events=[(d(6), "amount", Decimal("260000"))]),
        Deal("rep1", "售后服务续约", "negotiation", "commit", Decimal("90000"), _within(m0, today, 0.2), d(100),
             events=[(won_day, "won", "")]),
        Deal("rep1", "紧急补单", "negotiation", "commit", Decimal("150000"), _within(m0, today, 0.8), d(2)),
        Deal("rep2", "设备扩容", "proposal", "best_case", Decimal("280000"), q1_mid, d(105),
             events=[(d(5), "close", _within(m0, today, 1.0))]),
        # slipping: pushed into a later month twice, and now expected this month (the review lists it)
        Deal("rep2", "信息化项目", "negotiation", "commit", Decimal("230000"), m0.start - timedelta(days=40), d(114),
             events=[(d(20), "close", m0.start - timedelta(days=5)), (d(4), "close", _within(m0, today, 0.9))]),
        Deal("rep2", "外贸订单", "proposal", "best_case", Decimal("190000"), _within(m0, today, 0.5), d(90),
             events=[(lost_day, "lost", LOST_REASON)]),
        Deal("rep3", "冷链设备", "negotiation", "commit", Decimal("270000"), _within(m0, today, 0.5), d(102),
             events=[(d(4), "close", q1.start + timedelta(days=20))]),
        Deal("rep3", "包装线", "proposal", "best_case", Decimal("300000"), _within(m0, today, 0.95), d(101),
             events=[(d(2), "amount", Decimal("220000"))]),
    ]
    # won and lost over the last quarter (expected to close on the day they closed)
    closed = {
        "rep1": [(84, "210000", "won"), (63, "150000", "won"), (41, "330000", "won"), (26, "120000", "won"), (12, "260000", "won")],
        "rep2": [(78, "280000", "won"), (55, "190000", "won"), (47, "160000", "lost"), (33, "240000", "won"), (16, "170000", "won")],
        "rep3": [(70, "160000", "won"), (60, "90000", "lost"), (38, "110000", "won"), (19, "200000", "won")],
    }
    titles = ["设备采购", "改造项目", "备件订单", "年度合同", "扩产项目"]
    for rep, rows in closed.items():
        for i, (days_ago, amount, outcome) in enumerate(rows):
            day = d(days_ago)
            deals.append(Deal(rep, titles[i % len(titles)] + f"（{day.month}月）", "negotiation" if i % 2 == 0 else "proposal",
                              "commit" if i % 3 != 2 else "best_case", Decimal(amount), day, d(days_ago + 60),
                              events=[(day, outcome, LOST_REASON if outcome == "lost" else "")]))
    for deal in deals:
        deal.events.sort(key=lambda e: e[0])
    return deals


def _backdate(opp, after_id: int, when: datetime) -> None:
    from kehu.core.models import AuditEvent

    AuditEvent.objects.filter(pk__gt=after_id, object_type="opportunity", object_id=opp.pk).update(at=when)


def _play(deals: list[Deal], users: dict, customers: dict, stages: dict) -> None:
    """Create and move the deals through the sales services in the order it happened, then date
    their audit rows (and creation) the day it happened."""
    from django.db.models import Max
    from django.utils import timezone

    from kehu.core.models import AuditEvent
    from kehu.sales.models import Opportunity
    from kehu.sales.services.opportunities import opportunity_create, opportunity_move, opportunity_update

    steps = []
    for n, deal in enumerate(deals):
        steps.append((deal.created, n, -1, deal, None))
        for i, event in enumerate(deal.events):
            steps.append((event[0], n, i, deal, event))
    steps.sort(key=lambda s: (s[0], s[1], s[2]))
    seen = {rep: 0 for rep in DEMO_REPS}
    latest = timezone.now() - timedelta(minutes=5)
    for seq, (day, _n, _i, deal, event) in enumerate(steps):
        when = min(_aware(day, 9 + seq % 8, seq % 60), latest)
        actor = users[deal.rep]
        last = AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        if event is None:
            pool = customers[deal.rep]
            customer = pool[seen[deal.rep] % len(pool)]
            seen[deal.rep] += 1
            deal.opp = opportunity_create(
                actor=actor, customer=customer, title=deal.title, amount=deal.amount.quantize(CENT), stage=stages[deal.stage],
                expected_close_on=deal.close, forecast_category=deal.category, now=when,
            )
            Opportunity.objects.filter(pk=deal.opp.pk).update(created_at=when, updated_at=when)
        else:
            kind, value = event[1], event[2]
            if kind == "won":
                deal.opp = opportunity_move(actor=actor, opportunity=deal.opp, stage=stages["won"], now=when)
            elif kind == "lost":
                deal.opp = opportunity_move(actor=actor, opportunity=deal.opp, stage=stages["lost"], lost_reason=value, now=when)
            elif kind == "close":
                deal.opp = opportunity_update(actor=actor, opportunity=deal.opp, expected_close_on=value)
            elif kind == "amount":
                deal.opp = opportunity_update(actor=actor, opportunity=deal.opp, amount=value.quantize(CENT))
            Opportunity.objects.filter(pk=deal.opp.pk).update(updated_at=when)
        _backdate(deal.opp, last, when)


def _round_thousands(value: Decimal) -> Decimal:
    return (value / 1000).quantize(Decimal("1")) * 1000


def demo_forecasts() -> None:
    """The demo's opportunities and forecast history (see the module). Only when no submission
    was made on the page yet."""
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.planning.models import ForecastAdjustment, ForecastSnapshot, ForecastSubmission, PlanningSettings
    from kehu.planning.periods import forecast_periods, period_of
    from kehu.sales.models import Opportunity, OpportunityStage

    if ForecastSubmission.objects.filter(source=ForecastSubmission.Source.PAGE).exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=[*DEMO_REPS, "mgr1"], is_active=True)}
    customers = {
        rep: list(Customer.objects.filter(is_deleted=False, owner__username=rep).order_by("code")) for rep in DEMO_REPS
    }
    stages = {s.code: s for s in OpportunityStage.objects.all()}
    needed = {"first_contact", "needs_confirmed", "proposal", "negotiation", "won", "lost"}
    if not all(users.get(rep) and customers[rep] for rep in DEMO_REPS) or not needed <= set(stages):
        return

    today = timezone.localdate()
    deals = demo_deals(today)
    _play(deals, users, customers, stages)
    # the reps' open opportunities that came with the example (as they are now)
    mine = {deal.opp.pk for deal in deals}
    others = {rep: [] for rep in DEMO_REPS}
    for opp in Opportunity.objects.filter(owner__username__in=DEMO_REPS, stage__is_closed=False).exclude(pk__in=mine).select_related("owner", "stage"):
        others[opp.owner.username].append(opp)

    stage_ids = {code: s.pk for code, s in stages.items()}

    def open_rows(rep: str, day: date) -> list:
        """[opp id, stage id, amount cents, probability, close ISO|"", category] of the rep's open opportunities on `day`."""
        rows = []
        for deal in deals:
            if deal.rep != rep:
                continue
            state = deal.state_on(day)
            if state is not None:
                stage, amount, close, category = state
                rows.append([deal.opp.pk, stage_ids[stage], int(amount * 100), None, close.isoformat() if close else "", category])
        for opp in others[rep]:
            rows.append([opp.pk, opp.stage_id, int(opp.amount * 100), opp.probability,
                         opp.expected_close_on.isoformat() if opp.expected_close_on else "", opp.forecast_category])
        return sorted(rows)

    def prefill(rows: list, period) -> tuple[Decimal, Decimal, Decimal]:
        """Σ open commit, best case and pipeline expected to close in `period`."""
        sums = {"commit": Decimal(0), "best_case": Decimal(0), "pipeline": Decimal(0)}
        for _id, _stage, cents, _p, close, category in rows:
            if close and cents > 0 and category in sums and period.contains(date.fromisoformat(close)):
                sums[category] += Decimal(cents) / 100
        return sums["commit"], sums["best_case"], sums["pipeline"]

    cutoff_weekday = PlanningSettings.load().cutoff_weekday
    this_cutoff = today + timedelta(days=(cutoff_weekday - today.weekday()) % 7)
    rng = random.Random(11)
    latest = {}  # (rep, period label) -> the latest submission

    def submit(rep: str, day: date, minute: int) -> None:
        at = _aware(day, 17, minute)
        rows = open_rows(rep, day)
        snapshot = ForecastSnapshot.objects.create(user=users[rep], taken_at=at, lines=rows)
        created = []
        for period in forecast_periods(day):
            commit_open, best_open, pipeline_open = prefill(rows, period)
            # further from the period's end, further from the truth; a little different each week
            spread = min(Decimal(1), max(Decimal("0.15"), Decimal((period.end - day).days) / 60))
            commit = _round_thousands(commit_open * (1 + Decimal(str(rng.uniform(-0.3, 0.2))) * spread))
            best = commit + _round_thousands(best_open * Decimal(str(rng.uniform(0.5, 1.0)))
                                             + pipeline_open * Decimal(str(rng.uniform(0, 0.3))))
            submission = ForecastSubmission.objects.create(
                user=users[rep], period=period.label, period_start=period.start, period_end=period.end, submitted_on=day,
                commit=max(commit, Decimal(0)), best_case=max(best, commit, Decimal(0)), source=ForecastSubmission.Source.PAGE,
                snapshot=snapshot, created_by=users[rep],
            )
            created.append(submission)
            latest[(rep, period.label)] = submission
        ForecastSubmission.objects.filter(pk__in=[s.pk for s in created]).update(recorded_at=at)

    def carry(rep: str, cutoff: date) -> None:
        at = _aware(cutoff + timedelta(days=1), 2)
        created = []
        for period in forecast_periods(cutoff):
            previous = latest.get((rep, period.label))
            if previous is None:
                continue
            submission = ForecastSubmission.objects.create(
                user=users[rep], period=period.label, period_start=period.start, period_end=period.end, submitted_on=cutoff,
                commit=previous.commit, best_case=previous.best_case, source=ForecastSubmission.Source.CARRIED,
                carried_from=previous.carried_from or previous,
            )
            created.append(submission)
            latest[(rep, period.label)] = submission
        ForecastSubmission.objects.filter(pk__in=[s.pk for s in created]).update(recorded_at=at)

    for weeks_ago in range(WEEKS, 0, -1):
        cutoff = this_cutoff - timedelta(days=7 * weeks_ago)
        for i, rep in enumerate(DEMO_REPS):
            if (rep, weeks_ago) == SKIPPED_WEEK:
                carry(rep, cutoff)
            else:
                submit(rep, cutoff - timedelta(days=SUBMIT_DAYS_BEFORE_CUTOFF[rep]), 10 * i + weeks_ago % 7)
    # this week: rep1 and rep2 have submitted, rep3 not yet
    week_start = this_cutoff - timedelta(days=6)
    submit("rep1", max(week_start, today - timedelta(days=1)), 5)
    submit("rep2", today, 15)

    manager = users.get("mgr1")
    month = period_of("month", today)
    adjusted = latest.get(("rep2", month.label))
    if manager is not None and adjusted is not None:
        ForecastAdjustment.objects.create(
            submission=adjusted, commit=_round_thousands(adjusted.commit * Decimal("0.8")),
            best_case=adjusted.best_case, note=ADJUSTMENT_NOTE, created_by=manager,
        )

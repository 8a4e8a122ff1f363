"""`kehu seed`: a realistic company of any size, in bulk, on SQLite and PostgreSQL (issue 13).

What it makes, relative to `as_of` (today by default), with a fixed random seed:
- people: reps in teams (5 teams of 20 reps at full size, fewer for small seeds), a manager per
  team, a director (role admin) and finance — usernames bench_director, bench_finance,
  bench_mgr<t>, bench_rep<NNN>; an unusable password unless one is given;
- customers (names made of Chinese syllables, so pinyin search has something to find) spread
  over the reps, every 10th in the public pool; lifecycle stages (target 30 %, prospect 25 %,
  qualified 15 %, signed 25 %, vip 5 %) with their `CustomerStageChange` history over 24 months;
  lead sources (all 15), a referring customer on every 20th, industries, provinces, pyramid tiers
  (1/19/30/50 %), value classes, 5 % key accounts; a contact on two thirds, a tag on half;
- products (200) in 5 categories; orders of ~4 lines over the 24 months before `as_of`, each
  owned by its customer's owner, revenue and cost exactly as kehu.sales.lines computes them
  (DOMAIN.md §5.0);
- contracts (a fifth of the buyers) with 4 quarterly instalments, payments applied to them
  (instalment `applied`, allocations, some late, some half, some never), write-offs, quality
  losses;
- activities: logged ones of every kind (visits with a level) over 24 months and 4 % planned
  ones due from 60 days ago to 30 days ahead; the notifications `kehu daily` sends for them;
- opportunities open, won and lost, each with its `OpportunityStageChange` history and a buying
  factor on half; a quote for every third;
- the key-account spend (`CategorySpend`) of 2 % of the customers; won targets of the company,
  each team and each rep for this year and next; two years of weekly forecast submissions per
  rep (the 4 periods of each week, 3 % of the weeks carried forward), snapshots for the last 8
  weeks and a manager's adjustment on 10 % of this week's.

Everything is written in one transaction; then the summaries kept on write (RevenueMonth,
ActivityMonth) are rebuilt from the rows and the planner statistics refreshed, as `kehu daily`
does. The big tables (orders, lines, activities, stage history) are inserted with one
multi-row statement per batch (SQLite) or COPY (PostgreSQL).
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

BATCH = 5000
CHUNK = 50_000
CATEGORIES = ["设备", "耗材", "服务", "软件", "配件"]
INDUSTRIES = ["制造", "通信", "建筑", "医疗", "零售", "能源", "教育", "金融", "物流", "化工"]
PROVINCES = ["广东", "江苏", "上海", "浙江", "北京", "四川", "山东", "湖北"]
SYLLABLES = "华 为 技 术 远 设 建 材 信 疗 精 电 科 盛 达 恒 通 瑞 丰 鑫 源 新 宏 泰 安 康 博 创 汇 联".split()
SUFFIXES = ["有限公司", "科技有限公司", "贸易有限公司", "建材有限公司", "医疗器械有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
TAGS = ["重点", "老客户", "展会", "转介绍"]
STAGE_ORDER = ["target", "prospect", "qualified", "signed", "vip"]
STAGE_SHARES = [(30, "target"), (55, "prospect"), (70, "qualified"), (95, "signed"), (100, "vip")]
CLASS_SHARES = [(1, "diamond"), (5, "strategic"), (20, "potential"), (60, "general"), (70, "problem")]
TIER_SHARES = [(1, "important"), (20, "major"), (50, "ordinary"), (100, "small")]
SNAPSHOT_WEEKS = 8


@dataclass
class Sizes:
    customers: int = 100_000
    order_lines: int = 1_000_000
    activities: int = 1_000_000
    opportunities: int = 20_000
    weeks: int = 104

    @property
    def reps(self) -> int:
        return max(6, min(100, self.customers // 1000))

    @property
    def teams(self) -> int:
        return max(2, min(5, self.reps // 20))


class Progress:
    """A text progress bar per step on `stream`: on a terminal redrawn in place as rows are
    written; elsewhere (a log) one line per step when it ends, with its rows and seconds."""

    def __init__(self, stream=None, *, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.label = ""
        self.total = 0
        self.done = 0
        self.started = time.perf_counter()
        self.shown = -1

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.shown = label, max(1, total), 0, -1
        self.started = time.perf_counter()
        self._draw()

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def finish(self, note: str = "") -> None:
        self.done = self.total
        if self.enabled:
            elapsed = time.perf_counter() - self.started
            line = f"{self.label:<28} [{'#' * 30}] {self.total:>10,} {elapsed:6.1f} s {note}"
            self.stream.write(("\r" + line + "\n") if self.tty else line + "\n")
            self.stream.flush()

    def _draw(self) -> None:
        if not self.enabled:
            return
        share = min(1.0, self.done / self.total)
        step = int(share * 30)
        if not self.tty or step == self.shown or share >= 1.0:
            return
        self.shown = step
        if self.tty:
            self.stream.write(f"\r{self.label:<28} [{'#' * step}{'.' * (30 - step)}] {self.done:>10,}/{self.total:,}")
            self.stream.flush()


class _no_auto_now:
    """Inserts keep the given times of auto_now / auto_now_add fields."""

    def __init__(self, *fields):
        self.fields = fields
        self.saved = [(f.auto_now, f.auto_now_add) for f in fields]

    def __enter__(self):
        for f in self.fields:
            f.auto_now_add = f.auto_now = False

    def __exit__(self, *exc):
        for f, (auto_now, auto_now_add) in zip(self.fields, self.saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class FastInsert:
    """Rows of plain values into one table: executemany of a multi-row INSERT on SQLite, COPY
    on PostgreSQL; the columns not given get their model default (auto_now: now)."""

    def __init__(self, model, columns: list[str], *, now):
        from django.db import connection, models

        from kehu.core.fields import _ScaledDecimalField

        self.connection = connection
        self.table = model._meta.db_table
        given = [model._meta.get_field(c) for c in columns]
        names = {f.attname for f in given}
        extra = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in names]
        self.fields = given + extra
        self.extra = tuple(self._prep(f, now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default())
                           for f in extra)
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        sqlite = connection.vendor == "sqlite"
        self.converters = []
        for f in given:
            if isinstance(f, _ScaledDecimalField):  # money, prices, quantities: integers in the database
                self.converters.append(f.get_prep_value)
            elif sqlite and isinstance(f, models.DateTimeField):
                self.converters.append(self._sqlite_datetime)
            elif sqlite and isinstance(f, models.DateField):
                self.converters.append(str)
            elif isinstance(f, (models.CharField, models.TextField, models.ForeignKey, models.BooleanField, models.IntegerField,
                                models.DateField)):
                self.converters.append(None)
            else:
                self.converters.append(lambda v, f=f: f.get_db_prep_save(v, connection))

    def _prep(self, field, value):
        return field.get_db_prep_save(value, self.connection)

    @staticmethod
    def _sqlite_datetime(value):
        from datetime import timezone as dt_timezone

        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt_timezone.utc).replace(tzinfo=None)
        return str(value)

    def _rows(self, rows):
        conv = self.converters
        extra = self.extra
        if not any(conv):
            return [tuple(r) + extra for r in rows]
        return [tuple(v if c is None or v is None else c(v) for c, v in zip(conv, r, strict=True)) + extra for r in rows]

    def insert(self, rows: list[tuple]) -> None:
        rows = self._rows(rows)
        if not rows:
            return
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.connection.ops.quote_name(self.table)} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                one = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
                cursor.executemany(f"INSERT INTO {self.connection.ops.quote_name(self.table)} ({self.columns}) VALUES {one}", rows)


def insert_objects(model, objects: list, *, now) -> None:
    """Unsaved model instances through FastInsert (their defaults were set when they were made;
    empty auto_now times get `now`)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for o in objects:
                if getattr(o, f.attname) is None:
                    setattr(o, f.attname, now)
    FastInsert(model, [f.attname for f in fields], now=now).insert([tuple(getattr(o, f.attname) for f in fields) for o in objects])


def scrambled(n: int, modulo: int, salt: int = 13) -> int:
    """A fixed pseudo-random number 0..modulo-1 of an integer."""
    return (n * 7919 + salt) % modulo


def pick(shares, roll: int, default: str) -> str:
    for limit, value in shares:
        if roll < limit:
            return value
    return default


def seed(sizes: Sizes, *, as_of: date | None = None, password: str | None = None, progress: Progress | None = None,
         random_seed: int = 2026) -> dict:
    """Seed the company (see the module) into the current database; returns counts per table.
    The caller checks that the database holds no company yet."""
    from django.db import connection, transaction

    progress = progress or Progress(enabled=False)
    timings = {}
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # this connection only: the indexes of a million rows stay in memory
            cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB (the default is 2 MiB)
    with transaction.atomic():
        _Seeder(sizes, as_of=as_of, password=password, progress=progress, random_seed=random_seed).run()
    timings["rows"] = time.perf_counter() - started
    summaries_rebuild(progress)
    timings["total"] = time.perf_counter() - started
    return timings


def summaries_rebuild(progress: Progress) -> None:
    """The summaries kept on write, rebuilt from the rows the seed wrote in bulk; the planner
    statistics refreshed (as `kehu daily`)."""
    from kehu.activities.summaries import activity_months_rebuild
    from kehu.core.db import refresh_statistics
    from kehu.customers.summaries import stage_months_rebuild
    from kehu.sales.summaries import revenue_months_rebuild

    progress.start("summaries", 4)
    revenue_months_rebuild()  # RevenueMonth and CategoryRevenueMonth
    progress.advance(1)
    activity_months_rebuild()
    progress.advance(1)
    stage_months_rebuild()
    progress.advance(1)
    refresh_statistics()
    progress.finish()


class _Seeder:
    def __init__(self, sizes: Sizes, *, as_of, password, progress: Progress, random_seed: int):
        from django.utils import timezone

        self.sizes = sizes
        self.progress = progress
        self.rng = random.Random(random_seed)
        self.password = password
        self.now = timezone.now()
        self.today = as_of or timezone.localdate()
        if as_of and as_of < timezone.localdate():
            self.now = timezone.make_aware(datetime.combine(as_of, datetime.max.time().replace(microsecond=0)))
        self.start_day = self.today - timedelta(days=730)
        self.tz = timezone.get_current_timezone()

    def aware(self, day: date, hour: int = 10, minute: int = 0):
        return min(datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz), self.now)

    def run(self) -> None:
        self.people()
        self.customers()
        self.products()
        self.orders()
        self.contracts_and_payments()
        self.activities()
        self.opportunities()
        self.spend_and_targets()
        self.forecasts()
        self.notifications()

    # people ---------------------------------------------------------------------------------------
    def people(self) -> None:
        from django.contrib.auth.hashers import make_password

        from kehu.accounts.models import Team, User

        self.progress.start("people", 1)
        password = make_password(self.password)
        n_teams, n_reps = self.sizes.teams, self.sizes.reps
        teams = Team.objects.bulk_create([Team(name=f"销售{t + 1}部") for t in range(n_teams)])
        teams = list(Team.objects.filter(name__in=[t.name for t in teams]).order_by("id"))
        User.objects.bulk_create(
            [User(username="bench_director", name="总监", role=User.Role.ADMIN, password=password),
             User(username="bench_finance", name="财务", role=User.Role.FINANCE, password=password)]
            + [User(username=f"bench_mgr{t}", name=f"经理{t}", role=User.Role.MANAGER, password=password) for t in range(n_teams)]
            + [User(username=f"bench_rep{r:03d}", name=f"销售{r:03d}", role=User.Role.REP, team=teams[r % n_teams], password=password)
               for r in range(n_reps)]
        )
        by_name = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
        Team.managers.through.objects.bulk_create(
            [Team.managers.through(team_id=team.pk, user_id=by_name[f"bench_mgr{t}"].pk) for t, team in enumerate(teams)]
        )
        self.teams = teams
        self.director = by_name["bench_director"]
        self.reps = [by_name[f"bench_rep{r:03d}"] for r in range(n_reps)]
        self.manager_of_team = {team.pk: by_name[f"bench_mgr{t}"].pk for t, team in enumerate(teams)}
        self.progress.finish(f"{n_reps} reps, {n_teams} teams")

    # customers ------------------------------------------------------------------------------------
    def customers(self) -> None:
        from django.db import connection

        from kehu.customers.models import Contact, Customer, CustomerStageChange, Tag
        from kehu.customers.services import customer_derive_fields
        from kehu.customers.normalize import normalize_phone

        rng, n = self.rng, self.sizes.customers
        reps = self.reps
        sources = list(Customer.LeadSource.values)
        self.progress.start("customers", n * 2)
        batch, history = [], []
        owners = []
        for i in range(n):
            owner = None if i % 10 == 9 else reps[i % len(reps)]
            stage = pick(STAGE_SHARES, scrambled(i, 100), "signed")
            # lifecycle: a chain from target up to the stage the customer is in now
            day = self.start_day + timedelta(days=rng.randint(0, 500))
            chain = [("", "target", self.aware(day))]
            for s in range(1, STAGE_ORDER.index(stage) + 1):
                day = min(day + timedelta(days=rng.randint(5, 90)), self.today)
                chain.append((STAGE_ORDER[s - 1], STAGE_ORDER[s], self.aware(day, 11)))
            history.append(chain)
            owners.append(owner.pk if owner else None)
            name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) + rng.choice(SUFFIXES)
            c = Customer(
                code=f"C{i + 1:06d}", name=name, owner=owner, stage=stage, stage_changed_at=chain[-1][2],
                province=PROVINCES[i % len(PROVINCES)], industry=INDUSTRIES[i % len(INDUSTRIES)],
                phone=f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}",
                lead_source=sources[scrambled(i, len(sources), 3)],
                value_class=pick(CLASS_SHARES, scrambled(i, 100, 31), ""),
                pyramid_tier=pick(TIER_SHARES, i * 31 % 100, "small"), is_key_account=i * 31 % 100 < 5,
                owned_since=chain[0][2] if owner else None, pool_clock_at=self.now if owner else None,
                influence=rng.randint(1, 5) if rng.random() < 0.3 else None,
                reputation=rng.randint(1, 5) if rng.random() < 0.3 else None,
            )
            customer_derive_fields(c)
            batch.append(c)
            if len(batch) == BATCH:
                insert_objects(Customer, batch, now=self.now)
                self.progress.advance(len(batch))
                batch = []
        insert_objects(Customer, batch, now=self.now)
        self.progress.advance(len(batch))
        ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
        assert len(ids) >= n
        ids = ids[-n:]
        self.customer_ids = ids
        self.owner_of = dict(zip(ids, owners, strict=True))
        self.owned = [cid for cid in ids if self.owner_of[cid] is not None]
        # referrers: every 20th was referred by the customer before it
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {Customer._meta.db_table} SET referrer_customer_id = %s WHERE id = %s",
                               [(ids[k - 1], ids[k]) for k in range(19, len(ids), 20)])
        insert = FastInsert(CustomerStageChange, ["customer_id", "from_stage", "to_stage", "at", "user_id"], now=self.now)
        rows = []
        for cid, chain in zip(ids, history, strict=True):
            rows.extend((cid, f, t, at, self.owner_of[cid]) for f, t, at in chain)
            if len(rows) >= CHUNK:
                insert.insert(rows)
                self.progress.advance(len(rows) // 3)
                rows = []
        insert.insert(rows)
        # contacts on two thirds, tags on half
        tags = [Tag.objects.get_or_create(name=t)[0] for t in TAGS]
        contacts = []
        for k, cid in enumerate(ids):
            if k % 3 == 2:
                continue
            phone = f"1380013{k % 10000:04d}"
            contacts.append(Contact(customer_id=cid, name=rng.choice(SURNAMES) + rng.choice(["经理", "总", "工", "先生", "女士"]),
                                    title=rng.choice(["采购经理", "总经理", "技术总监", ""]), phone=phone, phone_normalized=normalize_phone(phone),
                                    decision_role=rng.choice(["decision_maker", "influencer", "user", "buyer", ""])))
        insert_objects(Contact, contacts, now=self.now)
        through = Customer.tags.through
        through.objects.bulk_create([through(customer_id=cid, tag_id=tags[k % len(tags)].pk) for k, cid in enumerate(ids) if k % 2 == 0],
                                    batch_size=BATCH)
        self.progress.finish(f"{len(contacts)} contacts")

    # products -------------------------------------------------------------------------------------
    def products(self) -> None:
        from kehu.sales.models import Product

        rng = self.rng
        products = []
        for k in range(200):
            price = Decimal(rng.randint(500, 2_000_000)) / 100
            products.append(Product(code=f"P{k:04d}", name=f"{CATEGORIES[k % len(CATEGORIES)]}{k:03d}", category=CATEGORIES[k % len(CATEGORIES)],
                                    list_price=price, unit_cost=(price * Decimal(rng.randint(40, 80)) / 100).quantize(Decimal("0.0001"))))
        Product.objects.bulk_create(products)
        self.products = list(Product.objects.filter(code__in=[p.code for p in products]).order_by("id"))

    # orders and lines ----------------------------------------------------------------------------
    def orders(self) -> None:
        from kehu.sales.lines import line_cost, line_revenue
        from kehu.sales.models import OrderLine, SalesOrder

        rng, n_lines = self.rng, self.sizes.order_lines
        buyers = [cid for k, cid in enumerate(self.customer_ids)
                  if pick(STAGE_SHARES, scrambled(k, 100), "signed") in ("signed", "vip")] or self.customer_ids
        self.buyers = buyers
        n_orders = max(1, n_lines // 4) if n_lines else 0
        self.progress.start("orders and lines", n_orders + n_lines)
        insert = FastInsert(SalesOrder, ["code", "customer_id", "owner_id", "order_date", "status", "created_at", "updated_at"], now=self.now)
        last_id = SalesOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0
        rows = []
        for k in range(n_orders):
            cid = buyers[rng.randrange(len(buyers))]
            day = self.start_day + timedelta(days=rng.randint(1, 730))
            at = self.aware(day, 9)
            rows.append((f"SO{k:07d}", cid, self.owner_of[cid], day, "confirmed", at, at))
            if len(rows) == CHUNK:
                insert.insert(rows)
                self.progress.advance(len(rows))
                rows = []
        insert.insert(rows)
        self.progress.advance(len(rows))
        order_ids = list(SalesOrder.objects.filter(id__gt=last_id).order_by("id").values_list("id", flat=True))
        columns = ["order_id", "product_id", "quantity", "unit_price", "discount_pct", "unit_cost", "revenue", "cost"]
        insert = FastInsert(OrderLine, columns, now=self.now)
        products = [(p.id, int(p.list_price.scaleb(4)), int(p.unit_cost.scaleb(4))) for p in self.products]
        rows = []
        for k in range(n_lines):
            pid, lp, uc = products[rng.randrange(len(products))]
            q = rng.randint(1, 50_000)  # quantity × 10^4 (0.0001 … 5)
            if rng.random() < 0.7:
                q = q // 10_000 * 10_000 or 10_000
            d = rng.choice((0, 0, 0, 500, 1000, 1250))  # discount % × 100
            up = lp if rng.random() < 0.6 else lp * rng.randint(90, 110) // 100
            # revenue in cents = q·up·(10000 − d) / 10^10, half-up (all positive); cost likewise
            revenue = (q * up * (10_000 - d) + 5 * 10**9) // 10**10
            cost = (q * uc + 5 * 10**5) // 10**6
            row = (order_ids[k % len(order_ids)], pid, Decimal(q).scaleb(-4), Decimal(up).scaleb(-4), Decimal(d).scaleb(-2),
                   Decimal(uc).scaleb(-4), Decimal(revenue).scaleb(-2), Decimal(cost).scaleb(-2))
            if k < 2000:
                assert row[6] == line_revenue(quantity=row[2], unit_price=row[3], discount_pct=row[4])
                assert row[7] == line_cost(quantity=row[2], unit_cost=row[5])
            rows.append(row)
            if len(rows) == CHUNK:
                insert.insert(rows)
                self.progress.advance(len(rows))
                rows = []
        insert.insert(rows)
        self.progress.finish(f"{n_orders:,} orders")

    # contracts, instalments, payments, write-offs, quality losses ---------------------------------
    def contracts_and_payments(self) -> None:
        from kehu.finance.models import Instalment, Payment, PaymentAllocation, QualityLoss, WriteOff
        from kehu.sales.models import Contract

        rng, buyers, today = self.rng, self.buyers, self.today
        chosen = buyers[::5]
        self.progress.start("contracts and payments", len(chosen))
        contracts = []
        for k, cid in enumerate(chosen):
            signed = today - timedelta(days=rng.randint(30, 600))
            contracts.append(Contract(code=f"CT{k:07d}", customer_id=cid, owner_id=self.owner_of[cid], signed_on=signed,
                                      amount=Decimal(rng.randint(40, 4000) * 100)))
        Contract.objects.bulk_create(contracts, batch_size=BATCH)
        codes = [c.code for c in contracts]
        contracts = list(Contract.objects.filter(code__in=codes).values("id", "customer_id", "signed_on", "amount")) if codes else []
        instalments, payments, paid = [], [], []
        for ct in contracts:
            part = ct["amount"] / 4
            behaviour = rng.random()
            for seq in range(1, 5):
                due = ct["signed_on"] + timedelta(days=90 * seq)
                if due > today or behaviour < 0.1:
                    instalments.append(Instalment(contract_id=ct["id"], seq=seq, due_on=due, amount=part))
                    continue  # not due yet, or a customer who does not pay
                late = rng.randint(-10, 5) if behaviour > 0.4 else rng.randint(0, 120)
                amount = part if behaviour > 0.2 else (part / 2).quantize(Decimal("0.01"))
                paid_on = due + timedelta(days=late)
                if paid_on > today:
                    instalments.append(Instalment(contract_id=ct["id"], seq=seq, due_on=due, amount=part))
                    continue
                # each payment pays its own instalment: the oldest open one (the earlier ones are paid in full or,
                # for the half payers, name their instalment)
                instalments.append(Instalment(contract_id=ct["id"], seq=seq, due_on=due, amount=part, applied=amount,
                                              paid_in_full_on=paid_on if amount == part else None))
                payments.append(Payment(code=f"PY{ct['id']}-{seq}", customer_id=ct["customer_id"], contract_id=ct["id"],
                                        seq=None if behaviour > 0.7 else seq, paid_on=paid_on, amount=amount))
                paid.append((len(instalments) - 1, len(payments) - 1))
        Instalment.objects.bulk_create(instalments, batch_size=BATCH)
        Payment.objects.bulk_create(payments, batch_size=BATCH)
        if paid and (instalments[0].pk is None or payments[0].pk is None):  # no RETURNING: read the ids back
            self._read_ids(Instalment, instalments)
            self._read_ids(Payment, payments)
        PaymentAllocation.objects.bulk_create(
            [PaymentAllocation(payment_id=payments[p].pk, instalment_id=instalments[i].pk, amount=payments[p].amount) for i, p in paid],
            batch_size=BATCH,
        )
        WriteOff.objects.bulk_create(
            [WriteOff(customer_id=cid, written_on=today - timedelta(days=rng.randint(1, 360)), amount=Decimal(rng.randint(100, 50_000)),
                      reason="坏账") for cid in rng.sample(buyers, len(buyers) // 50)],
            batch_size=BATCH,
        )
        QualityLoss.objects.bulk_create(
            [QualityLoss(customer_id=cid, occurred_on=today - timedelta(days=rng.randint(1, 360)), amount=Decimal(rng.randint(100, 20_000)))
             for cid in rng.sample(buyers, len(buyers) // 20)],
            batch_size=BATCH,
        )
        self.progress.finish(f"{len(instalments):,} instalments, {len(payments):,} payments")

    @staticmethod
    def _read_ids(model, objects) -> None:
        ids = list(model.objects.order_by("-id").values_list("id", flat=True)[: len(objects)])[::-1]
        for obj, pk in zip(objects, ids, strict=True):
            obj.pk = pk

    # activities -----------------------------------------------------------------------------------
    def activities(self) -> None:
        from kehu.activities.models import Activity

        rng, n, owned, today = self.rng, self.sizes.activities, self.owned, self.today
        self.progress.start("activities", n)
        kinds = ["phone"] * 4 + ["visit"] * 2 + ["meeting", "email", "wechat", "wechat", "other"]
        levels = ["leadership", "technical", "business", "business"]
        columns = ["customer_id", "owner_id", "created_by_id", "kind", "status", "at", "due_on", "visit_level", "summary", "created_at", "updated_at"]
        insert = FastInsert(Activity, columns, now=self.now)
        rows = []
        for _ in range(n if owned else 0):
            cid = owned[rng.randrange(len(owned))]
            owner = self.owner_of[cid]
            kind = kinds[rng.randrange(len(kinds))]
            if rng.random() < 0.04:
                due = today + timedelta(days=rng.randint(-60, 30))
                rows.append((cid, owner, owner, kind, "planned", None, due, "", "计划跟进", self.now, self.now))
            else:
                at = self.aware(self.start_day + timedelta(days=rng.randint(0, 730)), rng.randint(8, 18), rng.randint(0, 59))
                rows.append((cid, owner, owner, kind, "done", at, None, levels[rng.randrange(4)] if kind == "visit" else "", "跟进", at, at))
            if len(rows) == CHUNK:
                insert.insert(rows)
                self.progress.advance(len(rows))
                rows = []
        insert.insert(rows)
        self.progress.finish()

    # opportunities, stage history, quotes ---------------------------------------------------------
    def opportunities(self) -> None:
        from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange, Quote

        rng, today, owned = self.rng, self.today, self.owned
        n = self.sizes.opportunities if owned else 0
        self.progress.start("opportunities", n)
        stages = {s.code: s for s in OpportunityStage.objects.all()}
        ladder = sorted((s for s in stages.values() if not s.is_closed), key=lambda s: s.position)
        closed = {s.code: s for s in stages.values() if s.is_closed}
        won = closed.get("won") or next(iter(closed.values()))
        lost = closed.get("lost") or won
        factors = ["value", "price", "relationship", "innovation", "", ""]
        categories = ["commit"] * 3 + ["best_case"] * 3 + ["pipeline"] * 3 + ["omitted"]
        opps = []
        for k in range(n):
            cid = owned[rng.randrange(len(owned))]
            created_day = self.start_day + timedelta(days=rng.randint(0, 700))
            roll = rng.random()
            fields = {}
            if roll < 0.45:
                stage = ladder[rng.randrange(len(ladder))]
                fields.update(expected_close_on=today + timedelta(days=rng.randint(-20, 180)), forecast_category=categories[rng.randrange(len(categories))],
                              probability=rng.choice([None, None, 20, 60, 90]))
            else:
                stage = won if roll < 0.75 else lost
                closed_on = min(created_day + timedelta(days=rng.randint(10, 200)), today)
                fields.update(expected_close_on=closed_on, closed_on=closed_on, forecast_category="closed" if stage is won else "omitted",
                              lost_reason="" if stage is won else "价格")
            created = self.aware(created_day, 9)
            opps.append(Opportunity(code=f"OP{k:07d}", customer_id=cid, owner_id=self.owner_of[cid], title=f"商机{k}", stage=stage,
                                    amount=Decimal(rng.randint(100, 20_000) * 100), buying_factor=factors[rng.randrange(len(factors))],
                                    created_at=created, updated_at=created, **fields))
        with _no_auto_now(Opportunity._meta.get_field("created_at"), Opportunity._meta.get_field("updated_at")):
            Opportunity.objects.bulk_create(opps, batch_size=BATCH)
        codes = {o.code for o in opps}
        history = FastInsert(OpportunityStageChange, ["opportunity_id", "from_stage_id", "to_stage_id", "at", "user_id"], now=self.now)
        rows, quotes = [], []
        statuses = list(Quote.Status.values)
        self.open_opps = []
        for o in Opportunity.objects.filter(code__in=codes).values("id", "stage_id", "created_at", "owner_id", "customer_id", "amount", "code"):
            stage = next(s for s in stages.values() if s.pk == o["stage_id"])
            at = o["created_at"]
            rows.append((o["id"], None, ladder[0].pk, at, o["owner_id"]))
            previous = ladder[0]
            steps = ladder[1:ladder.index(stage)] if stage in ladder else ladder[1:rng.randint(1, len(ladder))]
            for s in steps + ([stage] if stage is not ladder[0] else []):
                at = min(at + timedelta(days=rng.randint(3, 40)), self.now)
                rows.append((o["id"], previous.pk, s.pk, at, o["owner_id"]))
                previous = s
            if not stage.is_closed:
                self.open_opps.append(o)
            if o["id"] % 3 == 0:
                quotes.append(Quote(code=f"QT{o['code'][2:]}", customer_id=o["customer_id"], opportunity_id=o["id"], owner_id=o["owner_id"],
                                    status=statuses[o["id"] % len(statuses)], total=o["amount"], created_at=at, updated_at=at))
            if len(rows) >= CHUNK:
                history.insert(rows)
                rows = []
        history.insert(rows)
        with _no_auto_now(Quote._meta.get_field("created_at"), Quote._meta.get_field("updated_at")):
            Quote.objects.bulk_create(quotes, batch_size=BATCH)
        self.progress.finish(f"{len(quotes):,} quotes")

    # key-account spend, targets ------------------------------------------------------------------
    def spend_and_targets(self) -> None:
        from kehu.customers.models import CategorySpend
        from kehu.planning.models import Target

        rng, today, ids = self.rng, self.today, self.customer_ids
        self.progress.start("spend and targets", 1)
        spends = []
        # 2 %, shifted so that no rep gets them all
        chosen = sorted({ids[min(len(ids) - 1, k + (k * 7919) % 37)] for k in range(0, len(ids), 50)})
        for k, cid in enumerate(chosen):
            for j in range(3):
                category = CATEGORIES[(k + j) % len(CATEGORIES)]
                last = Decimal(rng.randint(10, 5000) * 1000)
                growth = Decimal(rng.randint(-20, 40))
                spends.append(CategorySpend(customer_id=cid, category=category, year=today.year - 1, annual_spend=last, updated_at=self.now))
                spends.append(CategorySpend(customer_id=cid, category=category, year=today.year, updated_at=self.now,
                                            annual_spend=(last * (100 + growth) / 100).quantize(Decimal("0.01")),
                                            growth_pct=growth if k % 4 == 0 else None))
        CategorySpend.objects.bulk_create(spends, batch_size=BATCH)
        per_team = max(1, len(self.reps) // len(self.teams))
        self.level = {rep.pk: rng.randint(300, 3000) * 1000 for rep in self.reps}
        targets = []
        for year in (today.year, today.year + 1):
            weights = [str(rng.randint(5, 15)) for _ in range(12)]
            targets.append(Target(scope="company", year=year, amount=Decimal(len(self.reps) * 6_000_000), weights=weights))
            targets += [Target(scope="team", team=team, year=year, amount=Decimal(per_team * 6_000_000), weights=weights) for team in self.teams]
            targets += [Target(scope="user", user=rep, year=year, amount=Decimal(self.level[rep.pk] * 12), weights=[""] * 12) for rep in self.reps]
        Target.objects.bulk_create(targets, batch_size=BATCH)
        self.progress.finish(f"{len(spends):,} spend rows, {len(targets)} targets")

    # forecasts ------------------------------------------------------------------------------------
    def forecasts(self) -> None:
        from django.utils import timezone

        from kehu.planning.models import ForecastAdjustment, ForecastSnapshot, ForecastSubmission, PlanningSettings
        from kehu.planning.periods import forecast_periods

        rng, today, weeks = self.rng, self.today, self.sizes.weeks
        self.progress.start("forecasts", weeks + 1)
        cutoff_weekday = PlanningSettings.load().cutoff_weekday
        this_cutoff = today + timedelta(days=(cutoff_weekday - today.weekday()) % 7)
        lines_of = {}
        for o in self.open_opps:
            lines_of.setdefault(o["owner_id"], []).append([o["id"], o["stage_id"], int(o["amount"] * 100), None, "", "pipeline"])
        snapshots = []
        for weeks_ago in range(min(SNAPSHOT_WEEKS, weeks), -1, -1):
            day = min(this_cutoff - timedelta(days=7 * weeks_ago + 1), today)
            snapshots += [ForecastSnapshot(user=rep, taken_at=self.aware(day, 17), lines=lines_of.get(rep.pk, [])) for rep in self.reps]
        ForecastSnapshot.objects.bulk_create(snapshots, batch_size=500)
        snapshot_of = {(s.user_id, timezone.localdate(s.taken_at)): s.pk
                       for s in ForecastSnapshot.objects.filter(user__in=self.reps).only("id", "user_id", "taken_at")}
        submissions, carried, root_of, latest = [], [], {}, {}
        for weeks_ago in range(weeks, -1, -1):
            cutoff = this_cutoff - timedelta(days=7 * weeks_ago)
            day = min(cutoff - timedelta(days=1), today)
            for rep in self.reps:
                if weeks_ago == 0 and rng.random() < 0.1:
                    continue  # not submitted yet this week
                skipped = weeks_ago > 0 and rng.random() < 0.03
                for period in forecast_periods(cutoff if skipped else day):
                    key = (rep.pk, period.label)
                    if skipped:
                        if key not in latest:
                            continue
                        prev = latest[key]
                        sub = ForecastSubmission(
                            user=rep, period=period.label, period_start=period.start, period_end=period.end, submitted_on=cutoff,
                            recorded_at=self.aware(min(cutoff + timedelta(days=1), today), 2), commit=submissions[prev].commit,
                            best_case=submissions[prev].best_case, source=ForecastSubmission.Source.CARRIED)
                        root_of[len(submissions)] = root_of.get(prev, prev)
                        carried.append((len(submissions), root_of[len(submissions)]))
                    else:
                        scale = 3 if period.kind == "quarter" else 1
                        commit = Decimal(int(self.level[rep.pk] * scale * rng.uniform(0.6, 1.3)) // 1000 * 1000)
                        sub = ForecastSubmission(
                            user=rep, period=period.label, period_start=period.start, period_end=period.end, submitted_on=day,
                            recorded_at=self.aware(day, 17, rng.randint(0, 59)), commit=commit,
                            best_case=commit + Decimal(int(self.level[rep.pk] * scale * rng.uniform(0.1, 0.6)) // 1000 * 1000),
                            source=ForecastSubmission.Source.PAGE, snapshot_id=snapshot_of.get((rep.pk, day)), created_by=rep)
                    latest[key] = len(submissions)
                    submissions.append(sub)
            self.progress.advance(1)
        with _no_auto_now(ForecastSubmission._meta.get_field("recorded_at")):
            ForecastSubmission.objects.bulk_create(submissions, batch_size=BATCH)
        if submissions and submissions[0].pk is None:
            self._read_ids(ForecastSubmission, submissions)
        for i, root in carried:
            submissions[i].carried_from_id = submissions[root].pk
        ForecastSubmission.objects.bulk_update([submissions[i] for i, _r in carried], ["carried_from"], batch_size=BATCH)
        this_week = [s for s in submissions if s.submitted_on > this_cutoff - timedelta(days=7) and rng.random() < 0.1]
        ForecastAdjustment.objects.bulk_create([
            ForecastAdjustment(submission_id=s.pk, commit=(s.commit * Decimal("0.9")).quantize(Decimal("1")), best_case=s.best_case,
                               note="客户预算未批，按九成计", created_by_id=self.manager_of_team[s.user.team_id])
            for s in this_week
        ], batch_size=BATCH)
        self.progress.finish(f"{len(submissions):,} submissions")

    # notifications --------------------------------------------------------------------------------
    def notifications(self) -> None:
        """What `kehu daily` tells the reps about their planned follow-ups."""
        from kehu.activities.notifications import notify_followups_due, notify_followups_overdue

        self.progress.start("notifications", 1)
        made = notify_followups_due(now=self.now) + notify_followups_overdue(now=self.now)
        self.progress.finish(f"{made:,}")


def counts() -> dict[str, int]:
    """Rows per seeded table (for the command's summary and the benchmark's header)."""
    from kehu.accounts.models import User
    from kehu.activities.models import Activity, Notification
    from kehu.customers.models import Contact, Customer
    from kehu.finance.models import Payment
    from kehu.planning.models import ForecastSubmission
    from kehu.sales.models import Contract, Opportunity, OrderLine, Quote, SalesOrder

    models = {"users": User, "customers": Customer, "contacts": Contact, "orders": SalesOrder, "order lines": OrderLine,
              "contracts": Contract, "payments": Payment, "activities": Activity, "opportunities": Opportunity, "quotes": Quote,
              "forecasts": ForecastSubmission, "notifications": Notification}
    return {label: model.objects.count() for label, model in models.items()}

"""Ranking runs at scale, as ratios to the bare SQL aggregate measured in the same run.

    .venv/bin/python benchmarks/ranking.py [--customers 100000] [--lines 1000000]
                                           [--database sqlite|postgres] [--keep PATH]

SQLite (default) uses a throw-away file, or PATH with --keep: an existing file is reused as
is, so reruns skip the seeding. PostgreSQL uses DATABASE_URL (an empty database, or one this
script seeded before). Seeds customers (a few % prospects with open opportunities), products,
orders and order lines over 24 months (revenue and cost exactly as DOMAIN.md §5.0), contracts
with instalments and payments, write-offs, quality losses, influence/reputation — all in bulk,
then the monthly revenue summary (kehu.sales.summaries) is rebuilt from the lines.

Then times, in one process: the bare aggregate (SELECT customer, SUM(revenue), SUM(cost) over
the order lines of the 12-month window, GROUP BY customer, fetched completely; best of 3),
`facts.load_facts` alone, each model's computation alone, and `services.evaluation_run` for
each model (load + compute + store + apply to customers). Prints seconds and the ratio to
the aggregate. Not part of the test run.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 6, 30)
BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--keep", help="SQLite file to reuse (created and seeded when missing)")
    parser.add_argument("--repeat", type=int, default=1, help="timings of each run (best of)")
    parser.add_argument("--profile", help="model to profile with cProfile instead of timing")
    args = parser.parse_args()

    if args.database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        path = args.keep or str(Path(tempfile.mkdtemp(prefix="kehu-bench-")) / "ranking.sqlite3")
        os.environ["KEHU_SQLITE_PATH"] = path
    elif not os.environ.get("DATABASE_URL"):
        parser.error("--database postgres needs DATABASE_URL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from kehu.sales.models import OrderLine

    if not OrderLine.objects.exists():
        t = time.perf_counter()
        seed(args.customers, args.lines)
        from kehu.core.db import refresh_statistics

        refresh_statistics()
        print(f"seeded in {time.perf_counter() - t:.1f} s")
    else:
        print("reusing the seeded database")

    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.ranking import scoring, services
    from kehu.ranking.facts import load_facts
    from kehu.ranking.params import resolve_params

    if args.profile:
        import cProfile
        import pstats

        actor = User.objects.filter(is_superuser=True).first()
        cProfile.runctx(
            "services.evaluation_run(actor=actor, model=m, as_of=AS_OF)",
            globals(), {"services": services, "actor": actor, "m": args.profile, "AS_OF": AS_OF}, "/tmp/ranking.prof",
        )
        pstats.Stats("/tmp/ranking.prof").sort_stats("cumulative").print_stats(35)
        return

    def best(fn, n):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    start, end = scoring.window(AS_OF, 12)
    line_t, order_t = OrderLine._meta.db_table, OrderLine._meta.get_field("order").related_model._meta.db_table
    sql = (
        f"SELECT o.customer_id, SUM(l.revenue), SUM(l.cost) FROM {line_t} l JOIN {order_t} o ON o.id = l.order_id "
        "WHERE o.order_date > %s AND o.order_date <= %s GROUP BY o.customer_id"
    )

    def aggregate():
        with connection.cursor() as cursor:
            cursor.execute(sql, [start, end])
            return cursor.fetchall()

    rows = []
    base = best(aggregate, 3)
    rows.append(("bare SQL aggregate (best of 3)", base))
    holder = {}
    rows.append(("facts.load_facts", best(lambda: holder.__setitem__("facts", load_facts(AS_OF, 12)), args.repeat)))
    facts = holder["facts"]
    for model, fn in scoring.MODELS.items():
        params = resolve_params(model, None)
        rows.append((f"compute {model}", best(lambda: fn(facts, params), args.repeat)))
    actor = User.objects.filter(is_superuser=True).first()
    for model in scoring.MODELS:
        rows.append((f"evaluation_run {model}", best(lambda: services.evaluation_run(actor=actor, model=model, as_of=AS_OF), args.repeat)))

    n_customers = Customer.objects.count()
    n_lines = OrderLine.objects.count()
    print(
        f"Kehu ranking benchmark: {n_customers} customers, {n_lines} order lines, {len(facts.population)} ranked, "
        f"{connection.vendor}, as of {AS_OF}"
    )
    print(f"{'step':40} {'seconds':>9} {'× aggregate':>12}")
    for label, seconds in rows:
        print(f"{label:40} {seconds:9.3f} {seconds / base:12.1f}")


def seed(n_customers: int, n_lines: int) -> None:
    """Bulk seeding with a fixed random seed; amounts are computed as scaled integers, exactly
    as kehu.sales.lines does (checked on the first lines)."""
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from kehu.accounts.models import Team, User
    from kehu.customers.models import Customer
    from kehu.customers.services import customer_derive_fields
    from kehu.finance.models import Instalment, Payment, QualityLoss, WriteOff
    from kehu.sales.lines import line_cost, line_revenue
    from kehu.sales.models import Contract, Opportunity, OpportunityStage, OrderLine, Product, SalesOrder

    rng = random.Random(2026)
    now = timezone.now()
    with transaction.atomic():
        User.objects.create_superuser("admin", password="x", name="admin")
        team = Team.objects.create(name="华东")
        reps = [User.objects.create_user(f"rep{i}", password="x", role="rep", team=team, name=f"rep{i}") for i in range(20)]
        batch = []
        for i in range(1, n_customers + 1):
            c = Customer(
                code=f"C{i:06d}", name=f"客户{i}有限公司", owner=reps[i % 20], stage="signed", province="广东",
                lead_source="referral", owned_since=now, pool_clock_at=now,
                influence=rng.randint(1, 5) if rng.random() < 0.3 else None,
                reputation=rng.randint(1, 5) if rng.random() < 0.3 else None,
            )
            customer_derive_fields(c)
            batch.append(c)
        Customer.objects.bulk_create(batch, batch_size=BATCH)
        ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
        n_prospects = max(1, len(ids) * 3 // 100)
        prospects, buyers = ids[:n_prospects], ids[n_prospects:]
        Customer.objects.filter(id__in=prospects).update(stage="prospect")

        products = [
            Product(code=f"P{k:04d}", name=f"产品{k}", list_price=Decimal(rng.randint(500, 2_000_000)) / 100, unit_cost=Decimal(0))
            for k in range(200)
        ]
        for p in products:
            p.unit_cost = (p.list_price * Decimal(rng.randint(40, 80)) / 100).quantize(Decimal("0.0001"))
        Product.objects.bulk_create(products)
        products = list(Product.objects.all())
        stage = OpportunityStage.objects.filter(is_closed=False).first()
        Opportunity.objects.bulk_create(
            [
                Opportunity(code=f"O{cid}", customer_id=cid, owner=reps[cid % 20], title="deal", stage=stage,
                            amount=Decimal(rng.randint(1000, 300_000)))
                for cid in prospects
            ],
            batch_size=BATCH,
        )

        # Orders: ~4 lines each, over 24 months before AS_OF.
        n_orders = max(1, n_lines // 4)
        first_day = AS_OF - timedelta(days=730)
        orders = [
            SalesOrder(code=f"SO{k:07d}", customer_id=rng.choice(buyers), order_date=first_day + timedelta(days=rng.randint(1, 730)))
            for k in range(n_orders)
        ]
        SalesOrder.objects.bulk_create(orders, batch_size=BATCH)
        order_ids = list(SalesOrder.objects.order_by("id").values_list("id", flat=True))
        lines = []
        for k in range(n_lines):
            p = products[rng.randrange(len(products))]
            q = rng.randint(1, 50_000)  # quantity × 10^4 (0.0001 … 5)
            if rng.random() < 0.7:
                q = q // 10_000 * 10_000 or 10_000
            d = rng.choice((0, 0, 0, 500, 1000, 1250))  # discount % × 100
            lp = int(p.list_price.scaleb(4))
            uc = int(p.unit_cost.scaleb(4))
            up = lp if rng.random() < 0.6 else lp * rng.randint(90, 110) // 100
            # revenue in cents = q·up·(10000 − d) / 10^10, half-up (all positive)
            revenue = (q * up * (10_000 - d) + 5 * 10**9) // 10**10
            cost = (q * uc + 5 * 10**5) // 10**6
            line = OrderLine(
                order_id=order_ids[k % len(order_ids)], product_id=p.id, quantity=Decimal(q).scaleb(-4),
                unit_price=Decimal(up).scaleb(-4), discount_pct=Decimal(d).scaleb(-2), unit_cost=Decimal(uc).scaleb(-4),
                revenue=Decimal(revenue).scaleb(-2), cost=Decimal(cost).scaleb(-2),
            )
            if k < 2000:
                assert line.revenue == line_revenue(quantity=line.quantity, unit_price=line.unit_price, discount_pct=line.discount_pct)
                assert line.cost == line_cost(quantity=line.quantity, unit_cost=line.unit_cost)
            lines.append(line)
            if len(lines) == 50_000:
                OrderLine.objects.bulk_create(lines, batch_size=BATCH)
                lines = []
        OrderLine.objects.bulk_create(lines, batch_size=BATCH)

        # Contracts with 4 quarterly instalments for a fifth of the buyers; payments vary.
        contracts = []
        for k, cid in enumerate(buyers[::5]):
            signed = AS_OF - timedelta(days=rng.randint(30, 600))
            contracts.append(Contract(code=f"CT{k:07d}", customer_id=cid, signed_on=signed, amount=Decimal(rng.randint(40, 4000) * 100)))
        Contract.objects.bulk_create(contracts, batch_size=BATCH)
        instalments, payments = [], []
        for ct in Contract.objects.values("id", "customer_id", "signed_on", "amount"):
            part = ct["amount"] / 4
            behaviour = rng.random()
            for seq in range(1, 5):
                due = ct["signed_on"] + timedelta(days=90 * seq)
                instalments.append(Instalment(contract_id=ct["id"], seq=seq, due_on=due, amount=part))
                if due > AS_OF or behaviour < 0.1:
                    continue  # not due yet, or a customer who does not pay
                late = rng.randint(-10, 5) if behaviour > 0.4 else rng.randint(0, 120)
                amount = part if behaviour > 0.2 else (part / 2).quantize(Decimal("0.01"))
                paid_on = due + timedelta(days=late)
                if paid_on <= AS_OF:
                    payments.append(Payment(code=f"PY{ct['id']}-{seq}", customer_id=ct["customer_id"], contract_id=ct["id"],
                                            seq=None if behaviour > 0.7 else seq, paid_on=paid_on, amount=amount))
        Instalment.objects.bulk_create(instalments, batch_size=BATCH)
        Payment.objects.bulk_create(payments, batch_size=BATCH)
        WriteOff.objects.bulk_create(
            [WriteOff(customer_id=cid, written_on=AS_OF - timedelta(days=rng.randint(1, 360)), amount=Decimal(rng.randint(100, 50_000)), reason="bad debt")
             for cid in rng.sample(buyers, len(buyers) // 50)],
            batch_size=BATCH,
        )
        QualityLoss.objects.bulk_create(
            [QualityLoss(customer_id=cid, occurred_on=AS_OF - timedelta(days=rng.randint(1, 360)), amount=Decimal(rng.randint(100, 20_000)))
             for cid in rng.sample(buyers, len(buyers) // 20)],
            batch_size=BATCH,
        )
        # The orders were bulk-inserted past order_create: fill the monthly revenue summary.
        from kehu.sales.summaries import revenue_months_rebuild

        revenue_months_rebuild()


if __name__ == "__main__":
    main()

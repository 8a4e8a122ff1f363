"""Hundreds of payments posted at once by several processes to one contract: none is lost,
none is applied twice, no instalment gets more than its amount, the excess stays on account.
The same for one receivable: its open amount never goes below zero and equals its amount
minus what was allocated to it.

Runs on a temporary SQLite file with the project's settings (WAL, IMMEDIATE transactions)
and, when DATABASE_URL is set, on PostgreSQL in the test database (the workers are handed
its name), where the row locks of `payment_record` do the work.
"""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
WORKERS = 4
PAYMENTS_EACH = 60

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time, random
    from datetime import date
    from decimal import Decimal
    from pathlib import Path
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    django.setup()
    from django.core.management import call_command
    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.finance.models import Instalment, Payment, PaymentAllocation, Receivable
    from kehu.finance.services import contract_plan_set, payment_record
    from kehu.sales.models import Contract
    from django.db.models import Sum

    mode = sys.argv[1]
    if mode == "setup":
        if os.environ.get("MIGRATE"):
            call_command("migrate", verbosity=0, interactive=False)
        finance = User.objects.create_user(username="race_finance", password="x", role="finance", name="F")
        customer = Customer.objects.create(code="RACE1", name="Race Co")
        contract = Contract.objects.create(code="RACEK1", customer=customer, signed_on=date(2026, 1, 1), amount=Decimal("10000.00"))
        contract_plan_set(actor=finance, contract=contract, instalments=[
            (seq, date(2026, seq, 1), Decimal("1000.00")) for seq in range(1, 11)
        ])
        receivable = Receivable.objects.create(customer=customer, amount=Decimal("5000.00"), open_amount=Decimal("5000.00"),
                                               issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1))
        print(json.dumps({"finance": finance.pk, "customer": customer.pk, "contract": contract.pk, "receivable": receivable.pk}))
    elif mode == "pay":
        ids = json.loads(os.environ["RACE_IDS"])
        me = int(sys.argv[2])
        finance = User.objects.get(pk=ids["finance"])
        customer = Customer.objects.get(pk=ids["customer"])
        contract = Contract.objects.get(pk=ids["contract"])
        receivable = Receivable.objects.get(pk=ids["receivable"])
        to_receivable = os.environ.get("RACE_TARGET") == "receivable"
        rng = random.Random(me)
        go = Path(os.environ["RACE_GO"])
        Path(str(go) + "." + str(os.getpid())).touch()
        while not go.exists():
            time.sleep(0.005)
        errors = 0
        for n in range(int(os.environ["RACE_EACH"])):
            kind = n % 3
            amount = Decimal(rng.randint(100, 9000)) / 100
            try:
                if to_receivable:
                    payment_record(
                        actor=finance, customer=customer, amount=amount, paid_on=date(2026, 1, 1 + n % 28),
                        receivable=receivable, code=f"V{me}-{n}", allow_overpayment=True,
                    )
                    continue
                payment_record(
                    actor=finance, customer=customer, amount=amount, paid_on=date(2026, 1, 1 + n % 28),
                    contract=None if kind == 2 and n % 2 else contract, seq=rng.randint(1, 10) if kind == 0 else None,
                    code=f"R{me}-{n}", allow_overpayment=True,
                )
            except Exception as exc:
                errors += 1
                print(type(exc).__name__, exc, file=sys.stderr)
        sys.exit(1 if errors else 0)
    else:
        ids = json.loads(os.environ["RACE_IDS"])
        inst = list(Instalment.objects.filter(contract_id=ids["contract"]).values("seq", "amount", "applied", "paid_in_full_on"))
        pays = list(Payment.objects.filter(customer_id=ids["customer"]).values("code", "amount", "on_account"))
        allocs = list(PaymentAllocation.objects.filter(payment__customer_id=ids["customer"]).values("payment__code", "instalment__seq", "receivable_id", "amount"))
        rec = Receivable.objects.filter(pk=ids["receivable"]).values("amount", "open_amount").get()
        print(json.dumps({"instalments": inst, "payments": pays, "allocations": allocs, "receivable": rec}, default=str))
    """
)


def _run(env, *args, timeout=120):
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["KEHU_VAR_DIR"] = str(tmp_path)
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["KEHU_SQLITE_PATH"] = str(tmp_path / "race.sqlite3")
        env["MIGRATE"] = "1"
    else:
        # The workers use the test database this test runs in (its rows are committed).
        parts = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    return env


def _race(tmp_path, target: str = "contract"):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("SQLite and PostgreSQL only")
    env = _worker_env(tmp_path)
    ids = _run(env, "setup", timeout=180)
    env.update({"RACE_IDS": json.dumps(ids), "RACE_GO": str(tmp_path / "go"), "RACE_EACH": str(PAYMENTS_EACH), "RACE_TARGET": target})
    workers = [
        subprocess.Popen([sys.executable, "-c", SCRIPT, "pay", str(i)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(WORKERS)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.*"))) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    return _run(env, "check")


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_are_applied_exactly_once(tmp_path):
    from decimal import Decimal

    state = _race(tmp_path)
    payments = {p["code"]: p for p in state["payments"]}
    assert len(payments) == WORKERS * PAYMENTS_EACH  # none lost
    allocated = {}
    for a in state["allocations"]:
        allocated[a["payment__code"]] = allocated.get(a["payment__code"], Decimal(0)) + Decimal(a["amount"])
    for code, p in payments.items():  # each payment is allocated + on account, exactly
        assert allocated.get(code, Decimal(0)) + Decimal(p["on_account"]) == Decimal(p["amount"])
    per_seq = {}
    for a in state["allocations"]:
        per_seq[a["instalment__seq"]] = per_seq.get(a["instalment__seq"], Decimal(0)) + Decimal(a["amount"])
    for i in state["instalments"]:
        applied, amount = Decimal(i["applied"]), Decimal(i["amount"])
        assert applied <= amount
        assert per_seq.get(i["seq"], Decimal(0)) == applied  # Σ allocations = applied: none double-applied
        assert (i["paid_in_full_on"] is not None) == (applied == amount)
    total_paid = sum(Decimal(p["amount"]) for p in payments.values())
    total_applied = sum(Decimal(i["applied"]) for i in state["instalments"])
    assert total_paid > Decimal("10000.00")  # the test posts more than is open, so some stays on account
    assert total_applied <= Decimal("10000.00")
    assert any(Decimal(i["applied"]) == Decimal(i["amount"]) for i in state["instalments"])
    assert sum(Decimal(p["on_account"]) for p in payments.values()) == total_paid - total_applied


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_to_one_receivable_are_applied_exactly_once(tmp_path):
    from decimal import Decimal

    state = _race(tmp_path, "receivable")
    payments = {p["code"]: p for p in state["payments"]}
    assert len(payments) == WORKERS * PAYMENTS_EACH  # none lost
    allocated = {}
    for a in state["allocations"]:
        assert a["receivable_id"] is not None and a["instalment__seq"] is None
        allocated[a["payment__code"]] = allocated.get(a["payment__code"], Decimal(0)) + Decimal(a["amount"])
    for code, p in payments.items():  # each payment is allocated + on account, exactly
        assert allocated.get(code, Decimal(0)) + Decimal(p["on_account"]) == Decimal(p["amount"])
    amount, open_amount = Decimal(state["receivable"]["amount"]), Decimal(state["receivable"]["open_amount"])
    total_allocated = sum(allocated.values(), Decimal(0))
    assert open_amount >= 0
    assert amount - open_amount == total_allocated  # nothing double-applied, nothing lost
    total_paid = sum(Decimal(p["amount"]) for p in payments.values())
    assert total_paid > amount and open_amount == 0  # more was posted than was open: settled, the rest on account
    assert sum(Decimal(p["on_account"]) for p in payments.values()) == total_paid - amount

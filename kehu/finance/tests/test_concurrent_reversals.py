"""Two people reverse the same payment at the same moment: one reversal happens, the other is
refused ("already reversed"), and the money comes off the instalment once. Separate processes on
a temporary SQLite file (or the PostgreSQL test database), as in test_concurrent_payments."""

import json
import subprocess
import sys
import textwrap
import time

import pytest
from django.db import connection

from kehu.finance.tests.test_concurrent_payments import ROOT, _worker_env

WORKERS = 2

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    from datetime import date
    from decimal import Decimal
    from pathlib import Path
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    django.setup()
    from django.core.management import call_command
    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.finance.errors import FinanceError
    from kehu.finance.models import Instalment, Payment, PaymentAllocation
    from kehu.finance.services import contract_plan_set, payment_record, payment_reverse
    from kehu.sales.models import Contract

    mode = sys.argv[1]
    if mode == "setup":
        if os.environ.get("MIGRATE"):
            call_command("migrate", verbosity=0, interactive=False)
        finance = User.objects.create_user(username="rev_finance", password="x", role="finance", name="F")
        customer = Customer.objects.create(code="REV1", name="Reverse Co")
        contract = Contract.objects.create(code="REVK1", customer=customer, signed_on=date(2026, 1, 1), amount=Decimal("1000.00"))
        contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), Decimal("1000.00"))])
        payment = payment_record(actor=finance, customer=customer, contract=contract, amount=Decimal("600.00"), paid_on=date(2026, 1, 5))
        print(json.dumps({"finance": finance.pk, "payment": payment.pk, "contract": contract.pk}))
    elif mode == "reverse":
        ids = json.loads(os.environ["RACE_IDS"])
        finance = User.objects.get(pk=ids["finance"])
        payment = Payment.objects.get(pk=ids["payment"])  # both read it before either reverses
        go = Path(os.environ["RACE_GO"])
        Path(str(go) + "." + str(os.getpid())).touch()
        while not go.exists():
            time.sleep(0.002)
        try:
            payment_reverse(actor=finance, payment=payment, reason="worker " + sys.argv[2])
        except FinanceError as exc:
            print(json.dumps({"done": False, "why": str(exc)}))
        else:
            print(json.dumps({"done": True}))
    else:
        ids = json.loads(os.environ["RACE_IDS"])
        p = Payment.objects.get(pk=ids["payment"])
        applied = [str(i.applied) for i in Instalment.objects.filter(contract_id=ids["contract"])]
        print(json.dumps({"reversed": p.reversed_at is not None, "reason": p.reversal_reason, "applied": applied,
                          "allocations": PaymentAllocation.objects.filter(payment_id=p.pk).count()}))
    """
)


def _run(env, *args, timeout=120):
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_two_reversals_at_once_one_succeeds(tmp_path):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("SQLite and PostgreSQL only")
    env = _worker_env(tmp_path)
    ids = _run(env, "setup", timeout=180)
    env.update({"RACE_IDS": json.dumps(ids), "RACE_GO": str(tmp_path / "go")})
    workers = [
        subprocess.Popen([sys.executable, "-c", SCRIPT, "reverse", str(i)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(WORKERS)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.*"))) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outcomes = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(o["done"] for o in outcomes) == [False, True], outcomes
    state = _run(env, "check")
    assert state["reversed"] and state["applied"] == ["0.00"] and state["allocations"] == 0

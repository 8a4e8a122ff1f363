"""Shared makers for the forecast accuracy tests."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.management import call_command

from kehu.planning.models import ForecastSubmission
from kehu.planning.periods import parse_period
from kehu.sales.models import Opportunity, OpportunityStage

EXAMPLE = Path(__file__).resolve().parents[2] / "dataset" / "examples" / "small"
EXPECTED = EXAMPLE / "expected"

_codes = iter(range(1, 10**6))


def submit(user, period: str, on: date, commit: str, best_case: str | None = None, **extra) -> ForecastSubmission:
    p = parse_period(period)
    return ForecastSubmission.objects.create(
        user=user, period=p.label, period_start=p.start, period_end=p.end, submitted_on=on, commit=Decimal(commit),
        best_case=None if best_case is None else Decimal(best_case), **extra,
    )


def won(customer, owner, amount: str, closed_on: date) -> Opportunity:
    stage = OpportunityStage.objects.get(is_won=True)
    return Opportunity.objects.create(
        code=f"OPP-T{next(_codes):05d}", customer=customer, owner=owner, title="deal", stage=stage,
        amount=Decimal(amount), closed_on=closed_on, expected_close_on=closed_on,
    )


def run_command(*args) -> str:
    out = io.StringIO()
    call_command(*[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_example():
    out = run_command("import", EXAMPLE, "--json")
    return json.loads(out)

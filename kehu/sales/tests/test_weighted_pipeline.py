"""The weighted pipeline of DOMAIN.md §7: one function (kehu.sales.selectors.weighted_pipeline)
for `kehu pipeline`, the board's column sums and every report."""

import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.utils import timezone

from kehu.sales.models import Opportunity, OpportunityStage
from kehu.sales.selectors import pipeline_columns, weighted_pipeline, weighted_pipeline_by

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[2] / "dataset" / "examples" / "small"


def stage(code):
    return OpportunityStage.objects.get(code=code)


def opp(customer, code, stage_code, amount, close=None, probability=None, closed_on=None):
    return Opportunity.objects.create(
        code=code, customer=customer, owner=customer.owner, title=code, stage=stage(stage_code), amount=Decimal(amount),
        probability=probability, expected_close_on=close, closed_on=closed_on,
    )


def test_system_weights_open_deals_by_the_reps_probability_else_the_stages(customer_a):
    opp(customer_a, "O1", "proposal", "1000.00", date(2026, 7, 1))               # stage 50 %: 500
    opp(customer_a, "O2", "proposal", "1000.00", date(2026, 9, 30), probability=33)  # rep 33 %: 330
    opp(customer_a, "O3", "first_contact", "0.10", date(2026, 8, 1), probability=5)  # 0.005, rounded once with the rest
    opp(customer_a, "O4", "first_contact", "0.10", date(2026, 8, 2), probability=5)  # 0.005
    sums = weighted_pipeline(opportunities=Opportunity.objects.all(), date_from=date(2026, 7, 1), date_to=date(2026, 9, 30))
    assert sums.open_weighted == Decimal("830.01")  # 830.01 exactly: the two half-cents add up before rounding
    assert (sums.won, sums.total, sums.open_count) == (Decimal("0.00"), Decimal("830.01"), 4)


def test_system_counts_won_deals_by_close_day_and_ignores_lost_and_outside_and_undated(customer_a):
    opp(customer_a, "W1", "won", "700.00", date(2026, 1, 1), closed_on=date(2026, 7, 1))     # won in the period
    opp(customer_a, "W2", "won", "900.00", date(2026, 8, 1), closed_on=date(2026, 6, 30))    # won before: no
    opp(customer_a, "L1", "lost", "500.00", date(2026, 8, 1), closed_on=date(2026, 8, 1))    # lost: no
    opp(customer_a, "O1", "negotiation", "100.00", date(2026, 10, 1))                        # after the period: no
    opp(customer_a, "O2", "negotiation", "100.00", None)                                     # no close date: no
    opp(customer_a, "O3", "negotiation", "100.00", date(2026, 9, 30))                        # last day, inclusive
    sums = weighted_pipeline(opportunities=Opportunity.objects.all(), date_from=date(2026, 7, 1), date_to=date(2026, 9, 30))
    negotiation = stage("negotiation").probability
    assert sums.won == Decimal("700.00")
    assert sums.open_weighted == Decimal(100 * negotiation / 100).quantize(Decimal("0.01"))
    assert sums.total == sums.won + sums.open_weighted


def test_system_splits_the_pipeline_by_owner_in_one_query(customer_a, customer_b):
    opp(customer_a, "A1", "proposal", "1000.00", date(2026, 7, 1))
    opp(customer_b, "B1", "proposal", "3000.00", date(2026, 7, 1))
    with CaptureQueriesContext(connection) as queries:
        by_owner = weighted_pipeline_by(opportunities=Opportunity.objects.all(), group="owner_id", date_from=date(2026, 7, 1), date_to=date(2026, 7, 31))
    assert len(queries) == 1
    assert by_owner[customer_a.owner_id].open_weighted == Decimal("500.00")
    assert by_owner[customer_b.owner_id].open_weighted == Decimal("1500.00")


def test_rep_board_column_sums_are_the_weighted_pipeline(rep_a, customer_a, customer_b):
    opp(customer_a, "A1", "proposal", "1000.00", date(2026, 7, 1), probability=40)
    opp(customer_a, "A2", "proposal", "1000.00", None)
    opp(customer_b, "B1", "proposal", "3000.00", date(2026, 7, 1))  # another rep's: not in rep_a's board
    opp(customer_a, "W1", "won", "250.00", closed_on=date(2026, 7, 2))
    columns = {c.stage.code: c for c in pipeline_columns(user=rep_a)}
    assert columns["proposal"].total == Decimal("2000.00")
    assert columns["proposal"].weighted == Decimal("900.00")  # no period: the undated card counts (at 50 %)
    in_july = {c.stage.code: c for c in pipeline_columns(user=rep_a, close_from=date(2026, 7, 1), close_to=date(2026, 7, 31))}
    assert in_july["proposal"].weighted == Decimal("400.00")  # a period: the undated card is in none
    assert columns["won"].weighted == Decimal("250.00")
    assert columns["lost"].weighted == Decimal("0.00")


def _pipeline(*args):
    out = io.StringIO()
    call_command("pipeline", *args, stdout=out)
    return out.getvalue()


def test_system_pipeline_command_gives_the_examples_expected_answer():
    call_command("import", str(EXAMPLE), stdout=io.StringIO())
    expected = json.loads((EXAMPLE / "expected" / "pipeline.json").read_text())
    got = json.loads(_pipeline("--from", expected["from"], "--to", expected["to"], "--json"))
    assert got == expected


def test_system_pipeline_command_by_rep_and_team_and_refusals(customer_a, customer_b, team_a):
    opp(customer_a, "A1", "proposal", "1000.00", date(2026, 7, 1))
    opp(customer_b, "B1", "proposal", "3000.00", date(2026, 7, 1))
    by_rep = json.loads(_pipeline("--from", "2026-07-01", "--to", "2026-07-31", "--who", customer_a.owner.username, "--json"))
    by_team = json.loads(_pipeline("--from", "2026-07-01", "--to", "2026-07-31", "--who", team_a.name, "--json"))
    everyone = json.loads(_pipeline("--from", "2026-07-01", "--to", "2026-07-31", "--json"))
    assert (by_rep["total"], by_team["total"], everyone["total"]) == ("500.00", "500.00", "2000.00")
    for args in (["--who", "nobody"], ["--from", "2026-08-01"], ["--to", "9999-01-01"]):
        base = {"--from": "2026-07-01", "--to": "2026-07-31"}
        if args[0] in base:
            base[args[0]] = args[1]
            args = []
        with pytest.raises(CommandError):
            _pipeline(*[x for kv in base.items() for x in kv], *args)

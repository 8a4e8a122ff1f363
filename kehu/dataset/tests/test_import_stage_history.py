"""The import records lifecycle stage changes like a page does (DOMAIN.md §3, every change timestamped)."""

import pytest

from kehu.customers.models import CustomerStageChange
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, customer_row, run_json, write_dataset

pytestmark = pytest.mark.django_db


def _history(code):
    return list(CustomerStageChange.objects.filter(customer__code=code).values_list("from_stage", "to_stage"))


def test_a_new_customer_starts_its_history_and_a_changed_stage_adds_a_step(tmp_path):
    first = write_dataset(tmp_path / "a", {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司", stage="prospect")]})
    assert run_json(first)[0] == 0
    assert _history("C1") == [("", "prospect")]
    again = write_dataset(tmp_path / "b", {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司", stage="prospect")]})
    assert run_json(again)[0] == 0
    assert _history("C1") == [("", "prospect")]  # an unchanged stage adds nothing
    moved = write_dataset(tmp_path / "c", {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司", stage="qualified")]})
    assert run_json(moved)[0] == 0
    assert _history("C1") == [("", "prospect"), ("prospect", "qualified")]

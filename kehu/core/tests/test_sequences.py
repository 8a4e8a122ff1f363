"""Codes of new records: numbered above every stored code of the same pattern, never reused."""

import pytest


@pytest.mark.django_db
def test_next_code_continues_above_the_highest_number_not_the_highest_text(rep_a):
    from conftest import make_customer
    from kehu.core.sequences import next_code
    from kehu.customers.models import Customer

    make_customer(rep_a, "甲", "C99999")
    make_customer(rep_a, "乙", "C100000")  # longer: numerically higher, textually lower
    make_customer(rep_a, "丙", "CX7")  # not of the pattern: ignored
    assert next_code(Customer, prefix="C", sequence="test_customer", width=5) == "C100001"

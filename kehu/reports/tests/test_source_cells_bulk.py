"""The lead-source cells under bulk writes (kehu/reports/source_cells.py): on PostgreSQL the
triggers are statement-level (row triggers made a 20,000-customer import take 70 s); on SQLite
the customer import adds its customers' cells in one statement and puts the row trigger back."""

import pytest
from django.db import connection, transaction

from kehu.customers.models import Customer
from kehu.reports import source_cells


def _triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname, (tgtype & 1) = 1 FROM pg_trigger WHERE tgname LIKE 'reports_source%%' AND NOT tgisinternal")
            return dict(cursor.fetchall())
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'reports_source%'")
        return {name: True for (name,) in cursor.fetchall()}


@pytest.mark.django_db
def test_postgresql_keeps_the_cells_per_statement():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's triggers")
    row_level = {name for name, per_row in _triggers().items() if per_row}
    assert row_level == {"reports_sourcerevenue_customer"}  # fires only when a customer's source or state moves
    assert {"reports_sourcecell_ins", "reports_sourcecell_del", "reports_sourcecell_upd",
            "reports_sourcerevenue_ins", "reports_sourcerevenue_del", "reports_sourcerevenue_upd"} <= set(_triggers())


@pytest.mark.django_db
def test_many_customers_in_one_statement_land_in_their_cells(cast):
    owner = cast["rep_a"]
    with transaction.atomic():
        with source_cells.deferred_inserts():
            Customer.objects.bulk_create(
                Customer(code=f"B{i:04d}", name=f"批量{i}", owner=owner, lead_source="internet" if i % 3 else "referral", stage="target")
                for i in range(250))
        Customer.objects.filter(code__in=["B0001", "B0002"]).update(stage="prospect")
    assert source_cells.differences() == 0
    assert set(_triggers()) >= ({"reports_sourcecell_ai"} if connection.vendor == "sqlite" else {"reports_sourcecell_ins"})


@pytest.mark.django_db
def test_a_failed_bulk_write_leaves_the_trigger_and_the_cells(cast):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite trigger dropped inside the writer's transaction")
    before = set(_triggers())
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            with source_cells.deferred_inserts():
                Customer.objects.create(code="X1", name="失败", owner=cast["rep_a"], lead_source="internet")
                raise RuntimeError("the import fails")
    assert set(_triggers()) == before and source_cells.differences() == 0

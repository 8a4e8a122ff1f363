"""The evaluation results' references to their run and customer: on PostgreSQL checked by the
database in bulk (kehu/ranking/integrity.py, migration 0008: triggers, one anti-join per
statement, no per-row foreign-key check); SQLite keeps its foreign keys. The same guarantee on
both databases, whoever writes (SQLite's keys are deferred: checked here as a commit would)."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from kehu.customers.models import Customer
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.ranking.services import evaluation_run

NOW = date(2026, 6, 30)
T = EvaluationResult._meta.db_table


@pytest.fixture
def world(db):
    a = Customer.objects.create(code="K001", name="甲公司")
    b = Customer.objects.create(code="K002", name="乙公司")
    run = EvaluationRun.objects.create(model="pyramid", as_of=NOW, params={})
    return a, b, run


def _result(run_id, customer_id, position=0):
    return EvaluationResult(run_id=run_id, customer_id=customer_id, position=position, klass="major", indicators={})


def _fails(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()
        if connection.vendor == "sqlite":  # deferred foreign keys: what the commit would check
            connection.check_constraints(table_names=[T])


def test_postgresql_checks_the_keys_by_triggers_and_sqlite_by_its_foreign_keys(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, T)
        keys = sorted(tuple(c["columns"]) for c in constraints.values() if c["foreign_key"])
        if connection.vendor == "postgresql":
            assert keys == []
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'ranking_result_%%'")
            assert sorted(r[0] for r in cursor.fetchall()) == [
                "ranking_result_customer_deleted", "ranking_result_customer_id", "ranking_result_keys_insert",
                "ranking_result_keys_update", "ranking_result_run_deleted", "ranking_result_run_id",
            ]
        else:
            assert keys == [("customer_id",), ("run_id",)]


def test_results_of_existing_runs_and_customers_are_stored(world):
    a, b, run = world
    EvaluationResult.objects.bulk_create([_result(run.pk, a.pk, 0), _result(run.pk, b.pk, 1)])
    EvaluationResult.objects.create(run=EvaluationRun.objects.create(model="value", as_of=NOW, params={}), customer=a,
                                    position=0, klass="general")
    assert EvaluationResult.objects.count() == 3


def test_a_result_of_a_customer_that_does_not_exist_is_refused(world):
    a, b, run = world
    missing = b.pk + 1000
    _fails(lambda: EvaluationResult.objects.bulk_create([_result(run.pk, a.pk, 0), _result(run.pk, missing, 1)]))
    _fails(lambda: _result(run.pk, missing).save())
    assert EvaluationResult.objects.count() == 0  # all or nothing: the good row of the batch too


def test_a_result_of_a_run_that_does_not_exist_is_refused(world):
    a, _b, run = world
    _fails(lambda: EvaluationResult.objects.bulk_create([_result(run.pk + 1000, a.pk)]))
    assert EvaluationResult.objects.count() == 0


def test_a_result_moved_to_a_missing_customer_or_run_is_refused(world):
    a, b, run = world
    result = EvaluationResult.objects.create(run=run, customer=a, position=0, klass="major")
    _fails(lambda: EvaluationResult.objects.filter(pk=result.pk).update(customer_id=b.pk + 1000))
    _fails(lambda: EvaluationResult.objects.filter(pk=result.pk).update(run_id=run.pk + 1000))
    EvaluationResult.objects.filter(pk=result.pk).update(customer_id=b.pk)  # to one that exists: fine
    assert EvaluationResult.objects.get(pk=result.pk).customer_id == b.pk


def test_a_referenced_customer_or_run_cannot_be_deleted_or_renumbered_behind_the_orm(world):
    a, b, run = world
    EvaluationResult.objects.create(run=run, customer=a, position=0, klass="major")

    def raw(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    _fails(lambda: raw("DELETE FROM customers_customer WHERE id = %s", [a.pk]))
    _fails(lambda: raw("DELETE FROM ranking_evaluationrun WHERE id = %s", [run.pk]))
    _fails(lambda: raw("UPDATE customers_customer SET id = %s WHERE id = %s", [b.pk + 1000, a.pk]))
    _fails(lambda: raw("UPDATE ranking_evaluationrun SET id = %s WHERE id = %s", [run.pk + 1000, run.pk]))
    assert EvaluationResult.objects.filter(run=run, customer=a).exists()
    # not referenced: deleted as before
    raw("DELETE FROM customers_customer WHERE id = %s", [b.pk])
    assert not Customer.objects.filter(pk=b.pk).exists()


def test_the_orm_cascade_takes_the_results_with_their_customer_and_run(world):
    a, b, run = world
    EvaluationResult.objects.bulk_create([_result(run.pk, a.pk, 0), _result(run.pk, b.pk, 1)])
    Customer.objects.filter(pk=a.pk).delete()
    assert list(EvaluationResult.objects.values_list("customer_id", flat=True)) == [b.pk]
    run.delete()
    assert not EvaluationResult.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's deferred foreign keys refuse it at the commit")
def test_a_run_over_a_customer_deleted_meanwhile_fails_whole(example, monkeypatch):
    """The run reads its facts, a customer goes (deleted with its results before the run stores):
    the store is refused and leaves nothing, as the foreign key's check at commit did."""
    from kehu.ranking.services import runs as runs_module

    lonely = Customer.objects.create(code="K999", name="丙公司")
    runs = EvaluationRun.objects.count()
    load = runs_module.load_facts

    def load_then_delete(*args, **kwargs):
        facts = load(*args, **kwargs)
        assert lonely.pk in facts.customers
        Customer.objects.filter(pk=lonely.pk).delete()  # its results (none yet) with it
        return facts

    monkeypatch.setattr(runs_module, "load_facts", load_then_delete)
    with pytest.raises(IntegrityError):
        evaluation_run(actor=None, model="value", as_of=NOW)
    assert EvaluationRun.objects.count() == runs


def test_a_customer_is_once_in_a_run_through_one_unique_customer_run_index(world):
    a, b, run = world
    EvaluationResult.objects.create(run=run, customer=a, position=0, klass="major")
    _fails(lambda: EvaluationResult.objects.create(run=run, customer=a, position=1, klass="small"))
    EvaluationResult.objects.create(run=run, customer=b, position=1, klass="small")
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, T)
    unique = sorted(tuple(c["columns"]) for c in constraints.values() if c["unique"] and not c["primary_key"])
    assert unique == [("customer_id", "run_id")]
    indexed = sorted(tuple(c["columns"]) for c in constraints.values() if c["index"] and not c["unique"])
    # still two indexes to fill per run: the class one also holds what the class table sums
    # (reports13: read from the index alone)
    assert indexed == [("run_id", "class", "position", "customer_id", "sales", "profit"), ("run_id", "position")]

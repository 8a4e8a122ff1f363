"""The faster evaluation run (issue 13, second pass) changes no result and no current ranking:
the current classes are compared in Python and only the customers whose class changes are
written (a run that changes nothing writes nothing), the results are stored without database
foreign-key checks but a customer's or run's deletion through the ORM still takes its results,
and the facts read without Django's converters are the same numbers."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Customer
from kehu.ranking.facts import load_facts
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.ranking.services import current_ranking_apply, evaluation_run
from kehu.ranking.services.runs import CURRENT_FIELDS

D = Decimal
NOW = date(2026, 6, 30)
EARLIER = date(2025, 12, 31)
MODELS = ("pyramid", "value", "key_account")


def _current():
    return {
        code: (tier, klass, key)
        for code, tier, klass, key in Customer.objects.values_list("code", "pyramid_tier", "value_class", "is_key_account")
    }


def _updates(ctx):
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]


@pytest.mark.parametrize("model", MODELS)
def test_a_second_run_of_the_same_date_writes_no_customer(example, model):
    evaluation_run(actor=None, model=model, as_of=NOW)
    before = _current()
    with CaptureQueriesContext(connection) as ctx:
        run = evaluation_run(actor=None, model=model, as_of=NOW)
    assert _updates(ctx) == []
    assert _current() == before
    assert current_ranking_apply(run) == {"changed": 0, "vip": 0, "unvip": 0}


def test_the_classes_given_and_those_read_back_apply_alike(example):
    for model in MODELS:
        evaluation_run(actor=None, model=model, as_of=EARLIER)
    earlier = _current()
    for model in MODELS:
        evaluation_run(actor=None, model=model, as_of=NOW)
    now = _current()
    assert now != earlier
    # back to the earlier classes by hand, then the latest runs applied from the stored results
    for code, (tier, klass, key) in earlier.items():
        Customer.objects.filter(code=code).update(pyramid_tier=tier, value_class=klass, is_key_account=key)
    counts = {}
    for model in MODELS:
        run = EvaluationRun.objects.filter(model=model, as_of=NOW).get()
        counts[model] = current_ranking_apply(run)["changed"]
    assert _current() == now
    # exactly the customers whose value differs were written
    for model, field in (("pyramid", 0), ("value", 1), ("key_account", 2)):
        assert counts[model] == sum(1 for code in now if now[code][field] != earlier[code][field]), model
    assert counts == {"pyramid": 23, "value": 27, "key_account": 2}


def test_apply_clears_customers_the_run_leaves_out_and_sets_the_rest(customer_a, customer_b):
    Customer.objects.filter(pk=customer_b.pk).update(value_class="diamond")
    run = EvaluationRun.objects.create(model="value", as_of=NOW, params={})
    EvaluationResult.objects.create(run=run, customer=customer_a, position=0, rank=1, score=D(50), klass="problem")
    assert current_ranking_apply(run) == {"changed": 2, "vip": 0, "unvip": 0}
    assert set(Customer.objects.filter(pk__in=[customer_a.pk, customer_b.pk]).values_list("pk", "value_class")) == {
        (customer_a.pk, "problem"), (customer_b.pk, ""),
    }
    # the classes given by the caller win over reading them back (evaluation_run passes its own)
    assert current_ranking_apply(run, classes={customer_b.pk: "general"})["changed"] == 2
    assert set(Customer.objects.filter(pk__in=[customer_a.pk, customer_b.pk]).values_list("pk", "value_class")) == {
        (customer_a.pk, ""), (customer_b.pk, "general"),
    }


def test_apply_writes_many_customers_in_chunks(db):
    from kehu.ranking.services import runs

    customers = Customer.objects.bulk_create([Customer(code=f"X{i:05d}", name=f"客户{i}") for i in range(runs.APPLY_BATCH * 2 + 5)])
    run = EvaluationRun.objects.create(model="pyramid", as_of=NOW, params={})
    classes = {c.pk: ("major" if i % 3 else "small") for i, c in enumerate(customers)}
    assert current_ranking_apply(run, classes=classes)["changed"] == len(customers)
    stored = dict(Customer.objects.filter(pk__in=classes).values_list("pk", "pyramid_tier"))
    assert stored == classes
    assert current_ranking_apply(run, classes=classes)["changed"] == 0


def test_results_go_with_their_customer_and_their_run(example):
    run = evaluation_run(actor=None, model="value", as_of=NOW)
    customer = Customer.objects.get(code="C00020")
    assert EvaluationResult.objects.filter(customer=customer).count() == 1
    Customer.objects.filter(pk=customer.pk).delete()
    assert not EvaluationResult.objects.filter(customer_id=customer.pk).exists()
    n = run.results.count()
    assert n > 0
    EvaluationRun.objects.filter(pk=run.pk).delete()
    assert not EvaluationResult.objects.filter(run_id=run.pk).exists()


def test_current_fields_cover_every_model():
    assert set(CURRENT_FIELDS) == set(MODELS)


def test_facts_sums_are_exact_decimals(example):
    facts = load_facts(NOW, 12)
    c = {f.code: f for f in facts.customers.values()}["C00020"]
    for value in (c.sales, c.cost, c.sales_prev):
        assert isinstance(value, Decimal) and value.as_tuple().exponent == -2
    assert c.has_lines_in_window and c.has_lines_to_date

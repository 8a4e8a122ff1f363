"""Speed work on the ranking engine must not change a single result: the integer arithmetic
of the models equals the Fraction reference, `load_facts` uses a fixed number of queries,
and the bulk store writes exactly what `bulk_create` would."""

import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.ranking import scoring
from kehu.ranking.facts import load_facts
from kehu.ranking.scoring import numbers
from kehu.ranking.scoring.evaluations import Row
from kehu.ranking.scoring.inputs import ZERO
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.ranking.services import evaluation_run

AS_OF = date(2026, 6, 30)


# ---------------------------------------------------------------------------- integer arithmetic


def _random_ratios(rng, n):
    """Ratios with ties, negatives, huge and tiny denominators, and near-equal neighbours."""
    out = {}
    for k in range(n):
        kind = rng.random()
        if kind < 0.2:
            out[k] = (1, 1)  # the common default (no instalments due, no previous sales)
        elif kind < 0.4:
            out[k] = (rng.randint(-5, 5), rng.choice((1, 2, 3, 7)))
        elif kind < 0.6:
            d = rng.randint(1, 10**12)
            out[k] = (d - 1, d)  # just under 1
        else:
            out[k] = (rng.randint(-(10**14), 10**14), rng.randint(1, 10**11))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_ratio_keys_order_and_ties_are_exact(seed):
    rng = random.Random(seed)
    ratios = _random_ratios(rng, 400)
    keys = numbers.ratio_keys(ratios)
    exact = {k: Fraction(n, d) for k, (n, d) in ratios.items()}
    items = list(ratios)
    for _ in range(4000):
        a, b = rng.choice(items), rng.choice(items)
        assert (keys[a] < keys[b]) == (exact[a] < exact[b])
        assert (keys[a] == keys[b]) == (exact[a] == exact[b])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("lower", [False, True])
def test_percentile_numerators_equal_the_fraction_reference(seed, lower):
    rng = random.Random(seed)
    ratios = _random_ratios(rng, rng.choice((1, 2, 3, 50, 300)))
    nums, den = numbers.percentile_numerators(numbers.ratio_keys(ratios), lower_is_better=lower)
    reference = numbers.percentile_fractions({k: Fraction(n, d) for k, (n, d) in ratios.items()}, lower_is_better=lower)
    assert {k: Fraction(v, den) for k, v in nums.items()} == reference


def test_weighted_scores_equal_the_fraction_reference():
    rng = random.Random(7)
    keys = {name: {k: rng.randint(0, 20) for k in range(200)} for name in ("a", "b", "c")}
    weights = {"a": Decimal("1.5"), "b": Decimal("0.25"), "c": Decimal(0)}
    score, den = numbers.weighted_scores(keys, weights, lower_is_better=("b",))
    scores = {name: numbers.percentile_fractions(v, lower_is_better=(name == "b")) for name, v in keys.items()}
    reference = numbers.weighted_reference(scores, weights)
    assert {k: Fraction(v, den) for k, v in score.items()} == reference


@pytest.mark.parametrize("seed", range(3))
def test_round_ratio_equals_round_half_up(seed):
    rng = random.Random(seed)
    cases = [(5, 100000), (-5, 100000), (15, 100000), (-15, 100000), (0, 7), (1, 3), (-2, 3), (123456789, 1)]
    cases += [(rng.randint(-(10**12), 10**12), rng.randint(1, 10**9)) for _ in range(2000)]
    for n, d in cases:
        assert numbers.round_ratio(n, d) == numbers.round_half_up(Fraction(n, d))
        assert str(numbers.round_ratio(n, d)) == str(numbers.round_half_up(Fraction(n, d)))


def test_money_cents_writes_like_money():
    for value in ("0.00", "-0.50", "12.30", "-12345678.09", "7.05", "100"):
        d = Decimal(value).quantize(numbers.CENT)
        assert numbers.money_cents(numbers.cents(d)) == numbers.money(d)


def _random_facts(rng, k):
    def money(lo, hi):
        return Decimal(rng.randint(lo, hi)).scaleb(-2)

    due = [(money(1, 10**7), money(0, 10**7), rng.random() < 0.5, rng.randint(0, 90)) for _ in range(rng.choice((0, 0, 1, 3)))]
    return scoring.CustomerFacts(
        id=k, code=f"R{k:04d}", influence=rng.choice((None, 1, 3, 5)), reputation=rng.choice((None, 2, 4)),
        sales=rng.choice((ZERO, money(-10**6, 10**9))), cost=money(0, 10**8),
        sales_prev=rng.choice((ZERO, money(-10**5, 10**9))),
        write_offs=rng.choice((None, money(1, 10**6))), list_value=rng.choice((0, rng.randint(1, 10**17))), due=due,
    )


def test_integer_rows_equal_the_fraction_properties():
    rng = random.Random(11)
    for k in range(2000):
        c = _random_facts(rng, k)
        row = Row(c)
        assert Fraction(row.sales, 100) == c.sales and Fraction(row.profit, 100) == c.profit
        for name in ("collection_rate", "on_time_share", "mean_days_late", "margin", "growth", "price_level"):
            attr = {"collection_rate": "collection", "on_time_share": "on_time", "mean_days_late": "days_late"}.get(name, name)
            n, d = getattr(row, attr)
            assert d > 0 and Fraction(n, d) == getattr(c, name), name


def _reference_value(facts, params):
    """§5.2 computed the original way, with Fractions (score and ordering)."""
    population = facts.population
    indicators = {
        "sales": {c.id: Fraction(c.sales) for c in population},
        "collection_rate": {c.id: c.collection_rate for c in population},
        "on_time_share": {c.id: c.on_time_share for c in population},
        "margin": {c.id: c.margin for c in population},
        "influence": {c.id: Fraction(c.influence_value) for c in population},
        "growth": {c.id: c.growth for c in population},
    }
    scores = {name: numbers.percentile_fractions(v) for name, v in indicators.items()}
    score = numbers.weighted_reference(scores, {name: params[f"w_{name}"] for name in indicators})
    ordered = sorted(population, key=lambda c: (-score[c.id], -c.sales, c.code))
    return [(c.code, numbers.number(score[c.id])) for c in ordered]


def test_value_model_equals_the_fraction_reference_on_random_facts():
    rng = random.Random(3)
    customers = {k: _random_facts(rng, k) for k in range(600)}
    for c in customers.values():
        c.has_lines_in_window = c.has_lines_to_date = True
    facts = scoring.Facts(as_of=AS_OF, months=12, start=AS_OF, customers=customers)
    params = {**scoring.VALUE_DEFAULTS, "w_growth": Decimal("0.35"), "w_margin": Decimal("2.5")}
    got = [(r["customer"], r["score"]) for r in scoring.value(facts, params) if r["rank"] is not None]
    assert got == _reference_value(facts, params)


# ---------------------------------------------------------------------------- bulk loading and storing


def _seed_orders(rep, n, prefix):
    from conftest import make_customer

    from kehu.sales.models import OrderLine, Product, SalesOrder

    product = Product.objects.create(code=f"{prefix}-P", name="p", list_price=Decimal("10.0000"), unit_cost=Decimal("6.0000"))
    for i in range(n):
        customer = make_customer(rep, f"客户{prefix}{i}", f"{prefix}{i:05d}")
        order = SalesOrder.objects.create(code=f"{prefix}-O{i}", customer=customer, order_date=AS_OF - timedelta(days=10 + i))
        OrderLine.objects.create(
            order=order, product=product, quantity=Decimal(1 + i), unit_price=Decimal("10.0000"), unit_cost=Decimal("6.0000"),
            revenue=Decimal(10 * (1 + i)), cost=Decimal(6 * (1 + i)),
        )
    from kehu.sales.summaries import revenue_months_refresh

    revenue_months_refresh(customer_ids=SalesOrder.objects.filter(code__startswith=f"{prefix}-").values_list("customer_id", flat=True))


def _load_facts_queries():
    with CaptureQueriesContext(connection) as ctx:
        facts = load_facts(AS_OF, 12)
    return len(ctx.captured_queries), facts


def test_load_facts_uses_a_fixed_number_of_queries(db, rep_a):
    _seed_orders(rep_a, 1, "A")
    one, facts = _load_facts_queries()
    assert len(facts.population) == 1
    _seed_orders(rep_a, 49, "B")
    fifty, facts = _load_facts_queries()
    assert len(facts.population) == 50
    assert fifty == one


def _stored(run):
    """The raw stored columns of a run's results, as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, position, rank, score, class, sales, profit, indicators FROM ranking_evaluationresult "
            "WHERE run_id = %s ORDER BY position",
            [run.pk],
        )
        return [tuple(str(v) if v is not None else None for v in row) for row in cursor.fetchall()]


@pytest.mark.parametrize("model", ["pyramid", "value", "key_account"])
def test_bulk_store_writes_what_bulk_create_writes(example, model):
    run = evaluation_run(actor=None, model=model, as_of=AS_OF)
    facts = load_facts(AS_OF, run.window_months)
    by_code = {c.code: c for c in facts.customers.values()}
    results = scoring.MODELS[model](facts, None if not run.params else {k: v for k, v in _params(model, run).items()})
    twin = EvaluationRun.objects.create(model=model, as_of=AS_OF, window_months=run.window_months, params=run.params)
    EvaluationResult.objects.bulk_create(
        [
            EvaluationResult(
                run=twin, customer_id=by_code[r["customer"]].id, position=i, rank=r["rank"], score=r["score"], klass=r["class"],
                indicators=r["indicators"],
                sales=by_code[r["customer"]].sales if r["rank"] is not None else None,
                profit=by_code[r["customer"]].profit if r["rank"] is not None else None,
            )
            for i, r in enumerate(results)
        ]
    )
    stored = _stored(run)
    assert stored and stored == _stored(twin)
    assert any(row[2] is None for row in stored) == (model == "value")  # prospects are stored unranked


def _params(model, run):
    from kehu.ranking.params import resolve_params

    return resolve_params(model, run.params)

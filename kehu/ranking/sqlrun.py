"""The value model (DOMAIN.md §5.2) computed and stored by PostgreSQL itself: one
`INSERT … SELECT` with window functions instead of 100,000 facts, results and rows built in
Python and copied back (issue 13, the evaluation run on PostgreSQL).

The results are exactly those of `kehu.ranking.scoring.value` over `load_facts` — same
positions, ranks, scores, classes, sales, profit and indicators, byte for byte once stored —
because the SQL does the integer arithmetic of `kehu.ranking.scoring.numbers`:

- the sums are the same querysets (`facts.sums_querysets`, `live_customers`, the write-offs
  and open opportunities grouped by customer), added up in SQL; the collection facts (payments
  applied to instalments, `facts.collection_due`) stay in Python and go to the server as six
  arrays, one element per customer with an instalment due in W;
- a ratio n/d sorts by ⌊n·S/d⌋ with S = 10^48, larger than the square of any denominator (a
  sum of money in cents or a count), so that, as with `ratio_keys`, the keys are ordered exactly
  as the ratios and equal exactly when the ratios are equal (numeric arithmetic is exact on
  integers);
- the percentile numerator of a key is 100·(i + j) with i the number of smaller keys and j = i
  + ties − 1 (`percentile_numerators`): `RANK()` and a `COUNT(*)` per key; the weighted score is
  Σ wᵢ·numᵢ over 2·(N − 1)·Σ wᵢ with the weights scaled to integers (`int_weights`);
- rounding half-up to 4 places is `round_ratio` on the integers; codes sort as Python sorts
  strings (`COLLATE "C"`: UTF-8 bytes order as code points).

`tests/test_evalpg_sql_value.py` runs both paths on hand-made worlds (ties, zeros, nulls,
negative amounts, one ranked customer, none) and compares every stored row.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Sum

from kehu.finance.models import WriteOff
from kehu.ranking.facts import collection_due, live_customers, sums_querysets
from kehu.ranking.models import EvaluationResult
from kehu.ranking.scoring.evaluations import VALUE_DEFAULTS
from kehu.ranking.scoring.inputs import DEFAULT_RATING
from kehu.ranking.scoring.numbers import cents, fraction_as_ratio, int_weights
from kehu.ranking.scoring.windows import window
from kehu.sales.models import Opportunity

WEIGHTS = ("sales", "collection_rate", "on_time_share", "margin", "influence", "growth")
SCALE = "1" + "0" * 48  # S of the ratio keys: > (any sum of cents)², sums far beyond a bigint included


def supported() -> bool:
    """The SQL path runs on PostgreSQL (exact numeric arithmetic on integers of any size)."""
    return connection.vendor == "postgresql"


def _sql(queryset) -> tuple[str, list] | None:
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return None
    return sql, list(params)


def _key(n: str, d: str) -> str:
    """⌊n·S/d⌋ (d > 0) as a numeric expression, exact."""
    return (
        f"(CASE WHEN ({n}) >= 0 THEN div(({n})::numeric * {SCALE}, ({d})::numeric) "
        f"ELSE -div(-({n})::numeric * {SCALE} + ({d}) - 1, ({d})::numeric) END)"
    )


def _round(n: str, d: str) -> str:
    """`round_ratio(n, d)`: n/d (d > 0) rounded half-up to 4 places, a numeric of scale 4."""
    return f"(sign({n})::numeric * div(2 * abs({n})::numeric * 10000 + ({d}), 2 * ({d})::numeric) * 0.0001)"


def value_results_insert(run, full: dict) -> dict:
    """Compute the value model of `run` (its as-of date and window) with the parameters `full`
    and insert its results; returns {customer id: class} as `_results_insert` does."""
    sql, params = value_statement(run, full)
    with connection.cursor() as cursor:
        # The planner cannot estimate the CTEs (it guesses millions of rows) and would spend
        # seconds compiling the statement with JIT; the sorts of 100,000 rows fit in memory.
        # SET LOCAL: both end with the run's transaction.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def value_statement(run, full: dict) -> tuple[str, list]:
    """The INSERT … SELECT … RETURNING customer_id, class of `value_results_insert` and its
    parameters (reads the collection facts: two queries)."""
    as_of: date = run.as_of
    start, end = window(as_of, run.window_months)
    p = {**VALUE_DEFAULTS, **full}
    w = int_weights({name: p[f"w_{name}"] for name in WEIGHTS})
    total_w = sum(w.values())

    params: list = []
    parts = []
    for queryset in sums_querysets(as_of, run.window_months):
        compiled = _sql(queryset)
        if compiled is not None:
            parts.append(compiled[0])
            params += compiled[1]
    sums = " UNION ALL ".join(f"({sql})" for sql in parts) if parts else "SELECT NULL::bigint, 0, 0, 0, 0, 0 WHERE false"

    cust_sql, cust_params = _sql(live_customers().values_list("id", "code", "influence"))
    wo = _sql(
        WriteOff.objects.filter(written_on__gt=start, written_on__lte=end)
        .values("customer_id").annotate(total=Sum("amount")).order_by().values_list("customer_id", "total")
    )
    opp = _sql(
        Opportunity.objects.filter(stage__is_closed=False)
        .values("customer_id").annotate(total=Sum("amount")).order_by().values_list("customer_id", "total")
    )
    empty_pair = "SELECT NULL::bigint, NULL::bigint WHERE false"

    # the collection facts per customer (cents, counts) as arrays
    ids, totals, collected, counts, on_time, late = [], [], [], [], [], []
    for cid, items in collection_due(start, end).items():
        if not items:
            continue
        ids.append(cid)
        totals.append(sum(cents(a) for a, _, _, _ in items))
        collected.append(sum(cents(c) for _, c, _, _ in items))
        counts.append(len(items))
        on_time.append(sum(1 for _, _, ok, _ in items if ok))
        late.append(sum(days for _, _, _, days in items))

    pr_n, pr_d = fraction_as_ratio(p["problem_collection_rate"])
    pl_n, pl_d = fraction_as_ratio(p["problem_mean_days_late"])
    table = EvaluationResult._meta.db_table

    # the six indicator keys, their percentile numerators and the weighted score T
    keyed = {
        "sales": "sales",
        "collection_rate": _key("col_n", "col_d"),
        "on_time_share": _key("ot_n", "ot_d"),
        "margin": _key("m_n", "m_d"),
        "influence": "infl",
        "growth": _key("g_n", "g_d"),
    }
    key_cols = ", ".join(f"{expr} AS k_{name}" for name, expr in keyed.items())
    nums = " + ".join(
        f"{w[name]} * (CASE WHEN n_all = 1 THEN 100 ELSE 100 * (2 * (RANK() OVER (ORDER BY k_{name}) - 1) "
        f"+ COUNT(*) OVER (PARTITION BY k_{name}) - 1) END)"
        for name in WEIGHTS if w[name]
    ) or "0"
    sql = f"""
    WITH cust AS ({cust_sql}),
    sums AS (
        SELECT u.cid, COALESCE(SUM(u.s), 0) AS s, COALESCE(SUM(u.c), 0) AS c, COALESCE(SUM(u.n), 0) AS n,
               COALESCE(SUM(u.sp), 0) AS sp, COALESCE(SUM(u.t), 0) AS t
        FROM ({sums}) AS u (cid, s, c, n, sp, t) GROUP BY u.cid
    ),
    wo AS ({wo[0] if wo else empty_pair}),
    opp AS ({opp[0] if opp else empty_pair}),
    due AS (
        SELECT * FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::bigint[], %s::bigint[], %s::bigint[])
        AS d (cid, total, collected, n, on_time, late)
    ),
    pop AS (
        SELECT cu.id, cu.code, COALESCE(cu.influence, {DEFAULT_RATING}) AS infl, s.s AS sales,
               s.s - s.c - COALESCE(wo.total, 0) AS profit, s.sp,
               CASE WHEN d.cid IS NULL OR d.total = 0 THEN 1 WHEN d.total > 0 THEN d.collected ELSE -d.collected END AS col_n,
               CASE WHEN d.cid IS NULL OR d.total = 0 THEN 1 WHEN d.total > 0 THEN d.total ELSE -d.total END AS col_d,
               COALESCE(d.on_time, 1) AS ot_n, COALESCE(d.n, 1) AS ot_d,
               COALESCE(d.late, 0) AS dl_n, COALESCE(d.n, 1) AS dl_d
        FROM cust AS cu (id, code, influence)
        JOIN sums s ON s.cid = cu.id
        LEFT JOIN wo AS wo (cid, total) ON wo.cid = cu.id
        LEFT JOIN due d ON d.cid = cu.id
        WHERE s.n <> 0
    ),
    ratios AS (
        SELECT *,
               CASE WHEN sales > 0 THEN profit WHEN sales < 0 THEN -profit ELSE 0 END AS m_n,
               CASE WHEN sales > 0 THEN sales WHEN sales < 0 THEN -sales ELSE 1 END AS m_d,
               CASE WHEN sp > 0 THEN sales - sp WHEN sp < 0 THEN sp - sales ELSE 1 END AS g_n,
               CASE WHEN sp > 0 THEN sp WHEN sp < 0 THEN -sp ELSE 1 END AS g_d,
               COUNT(*) OVER () AS n_all
        FROM pop
    ),
    keyed AS (SELECT id, code, sales, n_all, {key_cols} FROM ratios),
    scored AS (
        SELECT id, code, sales, n_all, k_growth, ({nums})::numeric AS t_num FROM keyed
    ),
    ranks AS (
        SELECT id, t_num, n_all,
               (CASE WHEN n_all = 1 THEN 1 ELSE 2 * (n_all - 1) END) * {total_w}::numeric AS t_den,
               ROW_NUMBER() OVER (ORDER BY t_num DESC, sales DESC, code COLLATE "C") AS sr,
               ROW_NUMBER() OVER (ORDER BY k_growth DESC, code COLLATE "C") AS gr
        FROM scored
    ),
    ranked AS (SELECT ratios.*, ranks.t_num, ranks.t_den, ranks.sr, ranks.gr FROM ratios JOIN ranks USING (id)),
    prospects AS (
        SELECT cu.id, cu.code, COALESCE(cu.influence, {DEFAULT_RATING}) AS infl, opp.total AS pipeline,
               ROW_NUMBER() OVER (ORDER BY cu.code COLLATE "C") AS pr
        FROM cust AS cu (id, code, influence)
        LEFT JOIN sums s ON s.cid = cu.id
        LEFT JOIN opp AS opp (cid, total) ON opp.cid = cu.id
        WHERE NOT COALESCE(s.t > 0, false)
    )
    INSERT INTO {table} (run_id, customer_id, position, rank, score, class, sales, profit, indicators)
    SELECT * FROM (
        SELECT %s::bigint, id, (sr - 1)::integer, sr::integer, {_round("t_num", "t_den")},
               CASE
                   WHEN col_n * {pr_d} < {pr_n} * col_d OR {pl_n} * dl_d < dl_n * {pl_d} THEN 'problem'
                   WHEN sr <= ceil(%s::numeric * n_all) THEN 'diamond'
                   WHEN infl >= %s::numeric AND sr <= ceil(%s::numeric * n_all) THEN 'strategic'
                   WHEN gr <= ceil(%s::numeric * n_all) AND sr > ceil(%s::numeric * n_all) THEN 'potential'
                   ELSE 'general'
               END,
               sales, profit,
               jsonb_build_object(
                   'sales', (sales * 0.01)::text,
                   'collection_rate', {_round("col_n", "col_d")},
                   'on_time_share', {_round("ot_n", "ot_d")},
                   'margin', {_round("m_n", "m_d")},
                   'influence', infl * 1.0,
                   'growth', {_round("g_n", "g_d")},
                   'mean_days_late', {_round("dl_n", "dl_d")}
               )
        FROM ranked
        UNION ALL
        SELECT %s::bigint, id, ((SELECT COUNT(*) FROM pop) + pr - 1)::integer, NULL, NULL,
               CASE WHEN infl >= %s::numeric OR COALESCE(pipeline, 0) * 0.01 >= %s::numeric
                    THEN 'important_opportunity' ELSE 'general_opportunity' END,
               NULL, NULL,
               jsonb_build_object(
                   'influence', infl,
                   'open_pipeline', CASE WHEN pipeline IS NULL THEN '0' ELSE (pipeline * 0.01)::text END
               )
        FROM prospects
    ) AS results
    ORDER BY 3
    RETURNING customer_id, class
    """
    all_params = (
        cust_params + params + (wo[1] if wo else []) + (opp[1] if opp else [])
        + [ids, totals, collected, counts, on_time, late]
        + [run.pk, _exact(p["diamond_top"]), _exact(p["strategic_influence"]), _exact(p["strategic_top"]),
           _exact(p["potential_growth_top"]), _exact(p["strategic_top"])]
        + [run.pk, _exact(p["opportunity_influence"]), _exact(p["opportunity_pipeline"])]
    )
    return sql, all_params


def _exact(x) -> Decimal:
    """A parameter as an exact Decimal for SQL's numeric (an int, a Decimal or a Fraction that a
    Decimal holds exactly; `top` and the comparisons of the Python path are exact too)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int):
        return Decimal(x)
    n, d = fraction_as_ratio(x)
    value = Decimal(n) / Decimal(d)
    if fraction_as_ratio(value) != (n, d):
        raise ValueError(f"{x!r} is not a decimal number")
    return value

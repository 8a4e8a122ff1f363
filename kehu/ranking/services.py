"""Evaluation runs (DOMAIN.md §5): compute with the pure engine, store once, compare.

A run is written once — the run row and all its results in one `bulk_create` — and never
changes afterwards: there is no update service; running again creates a new run.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.audit import audit_note
from kehu.customers.models import Customer
from kehu.customers.services import customers_set_derived_stage
from kehu.ranking import engine
from kehu.ranking.models import EvaluationResult, EvaluationRun, RankingSettings

DEFAULTS = {
    "pyramid": engine.PYRAMID_DEFAULTS,
    "value": engine.VALUE_DEFAULTS,
    "key_account": engine.KEY_ACCOUNT_DEFAULTS,
}
MAX_WINDOW_MONTHS = 120

# Class ladders for `runs_compare`, best first.
LADDERS = {
    "pyramid": [("important", "major", "ordinary", "small")],
    "value": [
        ("diamond", "strategic", "potential", "general", "problem"),
        ("important_opportunity", "general_opportunity"),
    ],
    "key_account": [("key", "other")],
}


class RankingError(ValueError):
    """A run that cannot be made or compared; the message is translated for the user."""


# ---------------------------------------------------------------------------- parameters


def _share(name, v):
    if not (0 <= v <= 1):
        raise RankingError(_("Parameter “%(name)s” must be between 0 and 1.") % {"name": name})


def _non_negative(name, v):
    if v < 0:
        raise RankingError(_("Parameter “%(name)s” must not be negative.") % {"name": name})


def _rating(name, v):
    if not (1 <= v <= 5):
        raise RankingError(_("Parameter “%(name)s” must be a rating from 1 to 5.") % {"name": name})


def _check(name: str, v) -> None:
    if name.startswith("w_") or name in ("problem_mean_days_late", "opportunity_pipeline"):
        _non_negative(name, v)
    elif name in ("strategic_influence", "opportunity_influence"):
        _rating(name, v)
    elif name == "threshold":
        if not (0 <= v <= 100):
            raise RankingError(_("Parameter “%(name)s” must be between 0 and 100.") % {"name": name})
    else:  # pyramid cut-offs, *_top shares, problem_collection_rate
        _share(name, v)


MAX_PARAM = Decimal(10) ** 9  # no parameter needs more (the largest default is a 100,000 pipeline)
MAX_PARAM_PLACES = 6


def _parse(name: str, raw, default):
    text = str(raw).strip()
    invalid = _("Parameter “%(name)s” has an invalid value “%(value)s”.") % {"name": name, "value": text[:40]}
    if len(text) > 40:
        raise RankingError(invalid)
    try:
        if isinstance(default, int) and not isinstance(default, Decimal):
            v = int(text)
        else:
            v = Decimal(text)
            if not v.is_finite():
                raise InvalidOperation
    except (ValueError, ArithmeticError):
        raise RankingError(invalid) from None
    # Bounded before any arithmetic: 1e999999 would be "valid" and make every run crawl.
    if isinstance(v, Decimal):
        too_big = v.adjusted() > 9 or abs(v) > MAX_PARAM  # adjusted() first: abs(1e99999999) overflows
        too_fine = not too_big and v.normalize().as_tuple().exponent < -MAX_PARAM_PLACES
    else:
        too_big, too_fine = abs(v) > MAX_PARAM, False
    if too_big or too_fine:
        raise RankingError(
            _("Parameter “%(name)s” must be at most %(max)s with at most %(places)d decimals.")
            % {"name": name, "max": f"{MAX_PARAM:,}", "places": MAX_PARAM_PLACES}
        )
    return v


def resolve_params(model: str, params: dict | None) -> dict:
    """The full parameter set for `model`: defaults overridden by `params` (values as numbers or strings)."""
    if model not in DEFAULTS:
        raise RankingError(
            _("Unknown model “%(model)s”; choose one of: %(choices)s.") % {"model": model, "choices": ", ".join(DEFAULTS)}
        )
    defaults = DEFAULTS[model]
    out = dict(defaults)
    for name, raw in (params or {}).items():
        if name not in defaults:
            raise RankingError(
                _("Unknown parameter “%(name)s” for the %(model)s model; known: %(names)s.")
                % {"name": name, "model": model, "names": ", ".join(defaults)}
            )
        v = _parse(name, raw, defaults[name])
        _check(name, v)
        out[name] = v
    if model == "pyramid" and not (out["important"] <= out["major"] <= out["ordinary"]):
        raise RankingError(_("The pyramid cut-offs must satisfy important ≤ major ≤ ordinary."))
    weights = [v for k, v in out.items() if k.startswith("w_")]
    if weights and not sum(weights):
        raise RankingError(_("At least one weight must be positive."))
    return out


def ordered_params(run: EvaluationRun) -> dict:
    """A run's stored parameters in the model's order (DOMAIN.md §5 / the expected files).
    PostgreSQL's jsonb keeps no key order, so readers never rely on the stored one."""
    stored = dict(run.params or {})
    order = list(DEFAULTS.get(run.model, {}))
    return {k: stored[k] for k in order if k in stored} | {k: stored[k] for k in sorted(stored) if k not in order}


def params_json(params: dict) -> dict:
    """Parameters as stored and printed: Decimals as decimal strings, integers as integers."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in params.items()}


# ---------------------------------------------------------------------------- runs


def evaluation_run(
    *, actor, model: str, as_of: date, window_months: int | None = None, params: dict | None = None,
    today: date | None = None,
) -> EvaluationRun:
    """Compute `model` at `as_of` and store the run with its results.

    The window and parameters are the model's admin settings (`RankingSettings`, the spec's
    defaults until changed), overridden by `window_months` and `params` when given. When the
    new run is the model's latest (see `latest_run`), the customers' current tier, class or
    key-account flag — and with it vip — follow it in the same transaction. `as_of` may not be
    after `today` (default: the company's today; `kehu daily --now` passes its own)."""
    if model not in DEFAULTS:
        resolve_params(model, None)  # raises the translated "unknown model"
    conf = RankingSettings.load(model)
    if window_months is None:
        window_months = conf.window_months
    full = resolve_params(model, {**(conf.params or {}), **(params or {})})
    if not isinstance(as_of, date):
        raise RankingError(_("The evaluation date is not a date."))
    if not isinstance(window_months, int) or not (1 <= window_months <= MAX_WINDOW_MONTHS):
        raise RankingError(_("The window must be from 1 to %(max)d months.") % {"max": MAX_WINDOW_MONTHS})
    _check_as_of(as_of, today)
    facts = engine.load_facts(as_of, window_months)
    results = engine.MODELS[model](facts, full)
    with transaction.atomic():
        # One run of a model stored at a time: the "is it the latest?" check below must see a
        # run committed by a concurrent call (PostgreSQL's READ COMMITTED would not otherwise).
        RankingSettings.objects.select_for_update().filter(model=model).first()
        run = EvaluationRun.objects.create(
            model=model, as_of=as_of, window_months=window_months, params=params_json(full), started_by=actor,
            result_count=len(results),
        )
        _results_insert(run, facts, results)
        if latest_run(model) == run:
            current_ranking_apply(run, actor=actor)
    return run


EARLIEST_AS_OF = date(2000, 1, 1)


def _check_as_of(as_of: date, today: date | None = None) -> None:
    """A run looks back, never forward: a run as of a future date would become every customer's
    current ranking (latest as-of) over an empty window, and stay so."""
    from django.utils import timezone

    today = today or timezone.localdate()
    if as_of > today:
        raise RankingError(
            _("The evaluation date %(date)s is in the future; evaluate as of today (%(today)s) or earlier.")
            % {"date": as_of.isoformat(), "today": today.isoformat()}
        )
    if as_of < EARLIEST_AS_OF:
        raise RankingError(_("The evaluation date must be in %(year)d or later.") % {"year": EARLIEST_AS_OF.year})


RESULTS_BATCH = 2000


def _results_insert(run: EvaluationRun, facts, results: list[dict]) -> None:
    """Store a run's results in bulk (SQLite: one executemany; PostgreSQL: COPY; otherwise
    multi-row INSERTs of RESULTS_BATCH rows). The values are exactly what
    `EvaluationResult.objects.bulk_create` would write (indicators encoded by the field's
    exact encoder, money as the stored integer cents; tests compare the two) without
    building 100,000 model instances."""
    from django.db import connection

    by_code = {c.code: c for c in facts.customers.values()}
    meta = EvaluationResult._meta
    names = ["run", "customer", "position", "rank", "score", "klass", "sales", "profit", "indicators"]
    fields = [meta.get_field(n) for n in names]
    encode = meta.get_field("indicators").encoder().encode
    cents = engine._cents
    qn = connection.ops.quote_name
    json_placeholder = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    row_sql = "(" + ", ".join(["%s"] * (len(fields) - 1) + [json_placeholder]) + ")"
    head = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "
    rows = []
    for i, r in enumerate(results):
        c = by_code[r["customer"]]
        ranked = r["rank"] is not None
        rows.append(
            (
                run.pk,
                c.id,
                i,
                r["rank"],
                r["score"],  # a Decimal of 4 places already: what the DecimalField would pass on
                r["class"],
                cents(c.sales) if ranked else None,  # MoneyField stores integer cents
                cents(c.profit) if ranked else None,
                encode(r["indicators"]),
            )
        )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # one prepared statement, stepped in C
            cursor.executemany(head + row_sql, rows)
            return
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):  # psycopg 3 COPY: no SQL to parse
            columns = ", ".join(qn(f.column) for f in fields)
            with cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for k in range(0, len(rows), RESULTS_BATCH):
            chunk = rows[k : k + RESULTS_BATCH]
            cursor.execute(head + ", ".join([row_sql] * len(chunk)), [v for row in chunk for v in row])


def latest_run(model: str) -> EvaluationRun | None:
    """The run a customer's current ranking comes from: the one with the latest as-of date
    (the most recently made among runs of that date). A run as of an earlier date — to look
    back or compare — is kept but does not change anyone's current tier."""
    return EvaluationRun.objects.filter(model=model).order_by("-as_of", "-id").first()


def latest_runs() -> dict[str, EvaluationRun | None]:
    """{model: latest_run(model)} for every model, in one query."""
    from django.db.models import Q, Subquery

    wanted = Q()
    for model in DEFAULTS:
        wanted |= Q(pk=Subquery(EvaluationRun.objects.filter(model=model).order_by("-as_of", "-id").values("pk")[:1]))
    found = {run.model: run for run in EvaluationRun.objects.filter(wanted)}
    return {model: found.get(model) for model in DEFAULTS}


# Where each model's result lands on the customer, and the value for "not ranked".
CURRENT_FIELDS = {"pyramid": ("pyramid_tier", ""), "value": ("value_class", ""), "key_account": ("is_key_account", False)}


def current_ranking_apply(run: EvaluationRun, *, actor=None) -> dict:
    """Copy `run`'s classes onto the customers (only rows that change are written), then move
    signed key accounts to vip and vips that are no longer key accounts back to signed
    (DOMAIN.md §3). Returns {"changed": n, "vip": n, "unvip": n}."""
    field, empty = CURRENT_FIELDS[run.model]
    results = EvaluationResult.objects.filter(run=run)
    changed = 0
    with transaction.atomic():
        if run.model == "key_account":
            keys = results.filter(klass="key").values("customer_id")
            changed += Customer.objects.filter(pk__in=keys, is_key_account=False).update(is_key_account=True)
            changed += Customer.objects.filter(is_key_account=True).exclude(pk__in=keys).update(is_key_account=False)
        else:
            for klass in sorted(set(results.values_list("klass", flat=True))):
                members = results.filter(klass=klass).values("customer_id")
                changed += Customer.objects.filter(pk__in=members).exclude(**{field: klass}).update(**{field: klass})
            changed += Customer.objects.exclude(**{field: empty}).exclude(pk__in=results.values("customer_id")).update(**{field: empty})
        vip = unvip = 0
        if run.model == "key_account":
            note = audit_note(gettext_noop("Key-account evaluation #%(run)s"), run=run.pk)
            to_vip = Customer.objects.filter(is_key_account=True, stage=Customer.Stage.SIGNED).values_list("pk", flat=True)
            vip = customers_set_derived_stage(
                actor=actor, customer_ids=list(to_vip), from_stage=Customer.Stage.SIGNED, stage=Customer.Stage.VIP, note=note
            )
            from_vip = Customer.objects.filter(is_key_account=False, stage=Customer.Stage.VIP).values_list("pk", flat=True)
            unvip = customers_set_derived_stage(
                actor=actor, customer_ids=list(from_vip), from_stage=Customer.Stage.VIP, stage=Customer.Stage.SIGNED, note=note
            )
    return {"changed": changed, "vip": vip, "unvip": unvip}


def ranking_run_scheduled(*, now) -> int:
    """The `kehu daily` step: run each model whose latest run is `every_months` old or more
    (never run: now), as of today. Returns how many runs were made."""
    from django.utils import timezone

    today = timezone.localdate(now)
    made = 0
    for model in DEFAULTS:
        conf = RankingSettings.load(model)
        if not conf.every_months:
            continue
        last = latest_run(model)
        # Due on the latest run's as-of date + every_months (the day clamped to the month's
        # end: 01-31 + 1 = 02-28), the date the settings page shows as the next run.
        if last is not None and today < engine.months_before(last.as_of, -conf.every_months):
            continue
        evaluation_run(actor=None, model=model, as_of=today, today=today)
        made += 1
    return made


def _stored_results(run: EvaluationRun) -> list[dict]:
    rows = run.results.order_by("position").values_list("customer__code", "rank", "score", "klass", "indicators")
    return [
        {"customer": code, "rank": rank, "score": None if score is None else engine.number(score), "class": klass, "indicators": ind}
        for code, rank, score, klass, ind in rows
    ]


def _summary(run: EvaluationRun, results: list[dict]) -> list[dict]:
    """The pyramid's tier summary (count, share of profit), recomputed from the stored indicators.

    Only the pyramid has a summary in the expected files; value and key-account runs have none."""
    profit = {r["customer"]: Decimal(r["indicators"]["profit"]) for r in results}
    total = sum(profit.values(), Decimal(0))
    out = []
    for tier in LADDERS["pyramid"][0]:
        members = [r["customer"] for r in results if r["class"] == tier]
        tier_profit = sum((profit[m] for m in members), Decimal(0))
        out.append({"class": tier, "count": len(members), "profit_share": engine.number(_exact(tier_profit, total))})
    return out


def _exact(a: Decimal, b: Decimal) -> Fraction:
    return Fraction(a) / Fraction(b) if b else Fraction(0)


def run_payload(run: EvaluationRun) -> dict:
    """The `kehu evaluate --json` document (DATASET.md) of a stored run.

    Key order and number rendering follow the shipped expected files; `summary` is present
    for the pyramid only (the expected value and key-account runs carry none)."""
    results = _stored_results(run)
    payload = {"run": run.pk, "model": run.model, "as_of": run.as_of.isoformat(), "params": ordered_params(run), "results": results}
    if run.model == "pyramid":
        payload["summary"] = _summary(run, results)
    return payload


# ---------------------------------------------------------------------------- compare


def runs_compare(run_a: EvaluationRun, run_b: EvaluationRun, *, results_filter=None) -> dict:
    """Who entered, left, was promoted or demoted from run A (before) to run B (after).

    Both runs must use the same model. *Entered*/*left*: customers ranked in B but not in A,
    and the reverse (the ranked population; value prospects carry no rank and count as
    outside it). *Promoted*/*demoted*: customers present in both whose class moved up or
    down its ladder, best first:

    - pyramid: important > major > ordinary > small;
    - value: diamond > strategic > potential > general > problem; prospects have their own
      ladder important_opportunity > general_opportunity. A move between the two ladders
      (a prospect becoming a customer or the reverse) is an entry or a departure, never a
      promotion;
    - key_account: key > other.

    Lists are sorted by customer code. `results_filter` (a Q on EvaluationResult) limits both
    runs to some customers — the reports pass the user's scope, so a rep's comparison reads
    their customers' rows only."""
    if run_a.model != run_b.model:
        raise RankingError(
            _("Runs %(a)s and %(b)s use different models (%(model_a)s, %(model_b)s) and cannot be compared.")
            % {"a": run_a.pk, "b": run_b.pk, "model_a": run_a.model, "model_b": run_b.model}
        )
    position = {}
    for ladder_no, ladder in enumerate(LADDERS[run_a.model]):
        for i, name in enumerate(ladder):
            position[name] = (ladder_no, i)

    def load(run):
        rows = EvaluationResult.objects.filter(run=run)
        if results_filter is not None:
            rows = rows.filter(results_filter)
        # No join (customers are named by code only for the rows that changed, below) and no
        # ordering: the results' default ordering would join the runs table only to sort.
        return {cid: (rank, klass) for cid, rank, klass in rows.order_by().values_list("customer_id", "rank", "klass")}

    a, b = load(run_a), load(run_b)
    ranked_a = {c for c, (rank, _k) in a.items() if rank is not None}
    ranked_b = {c for c, (rank, _k) in b.items() if rank is not None}
    moves = []
    for cid in a.keys() & b.keys():
        (ladder_a, pos_a), (ladder_b, pos_b) = position[a[cid][1]], position[b[cid][1]]
        if ladder_a != ladder_b or pos_a == pos_b:
            continue
        moves.append((cid, a[cid][1], b[cid][1], pos_b < pos_a))
    entered, left = ranked_b - ranked_a, ranked_a - ranked_b
    code = _codes(entered | left | {m[0] for m in moves})
    return {
        "entered": sorted(code[c] for c in entered),
        "left": sorted(code[c] for c in left),
        "promoted": sorted(({"customer": code[c], "from": f, "to": t} for c, f, t, up in moves if up), key=lambda m: m["customer"]),
        "demoted": sorted(({"customer": code[c], "from": f, "to": t} for c, f, t, up in moves if not up), key=lambda m: m["customer"]),
    }


def _codes(customer_ids: set) -> dict:
    """{id: code} of the customers, in chunks (SQLite limits the parameters of one query)."""
    ids, out = sorted(customer_ids), {}
    for start in range(0, len(ids), 5000):
        out.update(Customer.objects.filter(pk__in=ids[start:start + 5000]).values_list("pk", "code"))
    return out

"""Evaluation runs (DOMAIN.md §5): compute with the pure models (`kehu.ranking.scoring`) over
the facts (`kehu.ranking.facts`), store once, make the latest run the customers' current ranking.

A run is written once — the run row and all its results in one bulk insert — and never
changes afterwards: there is no update service; running again creates a new run.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.audit import audit_note
from kehu.core.dates import DATE_MIN, add_months
from kehu.customers.models import Customer
from kehu.customers.services import customers_set_derived_stage
from kehu.ranking.errors import RankingError
from kehu.ranking.facts import load_facts
from kehu.ranking.models import EvaluationResult, EvaluationRun, RankingSettings
from kehu.ranking.params import MAX_WINDOW_MONTHS, params_json, resolve_params
from kehu.ranking.permissions import can_start_run
from kehu.ranking.scoring import DEFAULTS, MODELS, cents
from kehu.ranking.scoring.evaluations import value_prospects, value_ranked
from kehu.ranking.selectors import latest_run

EARLIEST_AS_OF = DATE_MIN
RESULTS_BATCH = 2000
APPLY_BATCH = 900  # customer ids per UPDATE of the current ranking (SQLite's variable limit)


def evaluation_run(
    *, actor, model: str, as_of: date, window_months: int | None = None, params: dict | None = None,
    today: date | None = None, progress=None, check_only: bool = False,
) -> EvaluationRun | None:
    """Compute `model` at `as_of` and store the run with its results.

    `actor`: the user who starts it (an administrator or a manager, `can_start_run`), or None
    for the system (`kehu daily`, `kehu evaluate`, the demo). The window and parameters are the
    model's admin settings (`RankingSettings`, the spec's defaults until changed), overridden by
    `window_months` and `params` when given. When the new run is the model's latest (see
    `latest_run`), the customers' current tier, class or key-account flag — and with it vip —
    follow it in the same transaction. `as_of` may not be after `today` (default: the
    company's today; `kehu daily --now` passes its own). `progress(phase, done, total)`, when
    given, is called as each phase starts: "facts", "score", "store", "apply" (done 0–3 of 4).
    `check_only`: make the checks (permission, model, window, date) and return None — the page
    answers them at once before it hands the run to the background worker."""
    if actor is not None and not can_start_run(actor):
        raise PermissionDenied(_("Only an administrator or a manager may start an evaluation run."))
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
    if check_only:
        return None
    with _gc_paused():
        return _run_store(actor, model, as_of, window_months, full, _phases(progress))


def _phases(progress):
    """The run's phases for `progress` (the background job's page), one call per phase."""
    names = ["facts", "score", "store", "apply"]
    return (lambda phase: progress(phase, names.index(phase), len(names))) if progress else (lambda phase: None)


def _run_store(actor, model: str, as_of: date, window_months: int, full: dict, tick=lambda phase: None) -> EvaluationRun:
    tick("facts")
    facts = load_facts(as_of, window_months, list_value=model == "key_account")  # only its price level reads it
    tick("score")
    if _copy_available():
        return _run_store_copy(actor, model, as_of, window_months, full, facts, tick)
    results = MODELS[model](facts, full)
    tick("store")
    with transaction.atomic():
        # One run of a model stored at a time: the "is it the latest?" check below must see a
        # run committed by a concurrent call (PostgreSQL's READ COMMITTED would not otherwise).
        RankingSettings.objects.select_for_update().filter(model=model).first()
        run = EvaluationRun.objects.create(
            model=model, as_of=as_of, window_months=window_months, params=params_json(full), started_by=actor,
            result_count=len(results),
        )
        classes = _results_insert(run, facts, results)
        if latest_run(model) == run:
            tick("apply")
            current_ranking_apply(run, actor=actor, classes=classes)
    return run


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while a run builds its 100,000 facts, results and rows: they
    hold no cycles, and the collector's passes over them cost a fifth of the run's time (it is
    switched back on, as it was, when the run ends — stored or failed)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_as_of(as_of: date, today: date | None = None) -> None:
    """A run looks back, never forward: a run as of a future date would become every customer's
    current ranking (latest as-of) over an empty window, and stay so."""
    today = today or timezone.localdate()
    if as_of > today:
        raise RankingError(
            _("The evaluation date %(date)s is in the future; evaluate as of today (%(today)s) or earlier.")
            % {"date": as_of.isoformat(), "today": today.isoformat()}
        )
    if as_of < EARLIEST_AS_OF:
        raise RankingError(_("The evaluation date must be in %(year)d or later.") % {"year": EARLIEST_AS_OF.year})


def _copy_available() -> bool:
    """PostgreSQL through psycopg 3: results go to the server with COPY, streamed."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    connection.ensure_connection()
    return hasattr(getattr(connection.connection, "cursor_factory", None), "copy")  # psycopg 3's cursors


def _run_store_copy(actor, model: str, as_of: date, window_months: int, full: dict, facts, tick=lambda phase: None) -> EvaluationRun:
    """`_run_store` on PostgreSQL, with the client's and the server's work overlapped (issue 13):
    the results are written into one COPY as they are made, through a writer that sends them from
    a second thread (`QueuedLibpqWriter`), so the server inserts and indexes rows while Python
    makes the next ones. For the value model the prospects' results — they depend on no ranked
    customer — go first, so the server stores 70,000 prospects while the client computes the
    percentile scores of the ranked. The same rows, positions and transaction as
    `_results_insert` (tests compare them with `bulk_create`); the run stays all-or-nothing: an
    error anywhere aborts the COPY and the transaction."""
    from django.db import connection
    from psycopg.copy import QueuedLibpqWriter

    ranked = prospects = None
    if model == "value":
        prospects = value_prospects(facts, full)
        count = len(facts.population) + len(prospects)
    else:
        ranked = MODELS[model](facts, full)
        count = len(ranked)
    tick("store")
    with transaction.atomic():
        RankingSettings.objects.select_for_update().filter(model=model).first()  # as in _run_store
        run = EvaluationRun.objects.create(
            model=model, as_of=as_of, window_months=window_months, params=params_json(full), started_by=actor,
            result_count=count,
        )
        rows = _ResultRows(run, facts)
        qn = connection.ops.quote_name
        with connection.cursor() as cursor, connection.wrap_database_errors:  # a refused row: IntegrityError
            raw = cursor.cursor
            statement = f"COPY {qn(EvaluationResult._meta.db_table)} ({', '.join(qn(c) for c in rows.columns)}) FROM STDIN"
            with raw.copy(statement, writer=QueuedLibpqWriter(raw)) as copy:
                write = copy.write_row
                if prospects is not None:
                    offset = count - len(prospects)
                    for row in rows.rows(prospects, offset):
                        write(row)
                    ranked = value_ranked(facts, full)
                    if len(ranked) != offset:
                        raise RuntimeError("value model: the ranked results are not the population")
                for row in rows.rows(ranked, 0):
                    write(row)
        if latest_run(model) == run:
            tick("apply")
            current_ranking_apply(run, actor=actor, classes=rows.classes)
    return run


class _ResultRows:
    """A run's result rows as `EvaluationResult.objects.bulk_create` would write them (indicators
    encoded by the field's exact encoder, money as the stored integer cents) without building
    model instances; `classes` collects {customer id: class} as they go."""

    names = ["run", "customer", "position", "rank", "score", "klass", "sales", "profit", "indicators"]

    def __init__(self, run: EvaluationRun, facts):
        meta = EvaluationResult._meta
        self.columns = [meta.get_field(n).column for n in self.names]
        self.encode = _indicators_encoder(meta.get_field("indicators").encoder().encode)
        self.by_code = {c.code: c for c in facts.customers.values()}
        self.pk = run.pk
        self.classes: dict = {}

    def rows(self, results: list[dict], start: int):
        """The rows of `results`, the first at position `start`."""
        by_code, encode, classes, pk = self.by_code, self.encode, self.classes, self.pk
        for i, r in enumerate(results, start=start):
            c = by_code[r["customer"]]
            klass = r["class"]
            classes[c.id] = klass
            if r["rank"] is not None:
                yield (
                    pk, c.id, i, r["rank"],
                    r["score"],  # a Decimal of 4 places already: what the DecimalField would pass on
                    klass,
                    cents(c.sales),  # MoneyField stores integer cents
                    cents(c.profit),
                    encode(r["indicators"]),
                )
            else:
                yield (pk, c.id, i, None, r["score"], klass, None, None, encode(r["indicators"]))


def _results_insert(run: EvaluationRun, facts, results: list[dict]) -> dict:
    """Store a run's results in bulk (SQLite: one executemany; otherwise multi-row INSERTs of
    RESULTS_BATCH rows; PostgreSQL with psycopg 3 streams them, `_run_store_copy`). Returns
    {customer id: class} of the results."""
    from django.db import connection

    made = _ResultRows(run, facts)
    qn = connection.ops.quote_name
    json_placeholder = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    row_sql = "(" + ", ".join(["%s"] * (len(made.columns) - 1) + [json_placeholder]) + ")"
    head = f"INSERT INTO {qn(EvaluationResult._meta.db_table)} ({', '.join(qn(c) for c in made.columns)}) VALUES "
    rows = list(made.rows(results, 0))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # one prepared statement, stepped in C
            cursor.executemany(head + row_sql, rows)
            return made.classes
        for k in range(0, len(rows), RESULTS_BATCH):
            chunk = rows[k : k + RESULTS_BATCH]
            cursor.execute(head + ", ".join([row_sql] * len(chunk)), [v for row in chunk for v in row])
    return made.classes


_PLAIN = re.compile(r"[A-Za-z0-9_.+-]*")  # text that JSON writes as is between quotes


def _indicators_encoder(encode):
    """`encode` (the field's exact encoder), made faster for the indicators the models write —
    flat dicts of plain keys and of amounts as text, Decimals and ints — by writing them directly
    as the encoder does (`", "` and `": "` separators, a Decimal as its own digits); anything else
    goes to `encode`. The bytes are the encoder's (test_engine_speed compares with bulk_create)."""

    plain_keys: set = set()  # keys already seen to be plain (a handful per model)
    plain = _PLAIN.fullmatch

    def fast(indicators):
        if type(indicators) is not dict:
            return encode(indicators)
        parts = []
        for key, value in indicators.items():
            if key not in plain_keys:
                if type(key) is not str or not plain(key):
                    return encode(indicators)
                plain_keys.add(key)
            kind = type(value)
            if kind is str:
                if not plain(value):
                    return encode(indicators)
                parts.append(f'"{key}": "{value}"')
            elif (kind is Decimal and value.is_finite()) or kind is int:
                parts.append(f'"{key}": {value}')
            else:
                return encode(indicators)
        return "{" + ", ".join(parts) + "}"

    return fast


# Where each model's result lands on the customer, and the value for "not ranked".
CURRENT_FIELDS = {"pyramid": ("pyramid_tier", ""), "value": ("value_class", ""), "key_account": ("is_key_account", False)}


def current_ranking_apply(run: EvaluationRun, *, actor=None, classes: dict | None = None) -> dict:
    """Copy `run`'s classes onto the customers (only rows that change are written), then move
    signed key accounts to vip and vips that are no longer key accounts back to signed
    (DOMAIN.md §3). Returns {"changed": n, "vip": n, "unvip": n}.

    `classes` ({customer id: class}, the run's results) saves reading them back when the caller
    has them (`evaluation_run`). The customers' current values are read in this transaction, the
    differences computed here and written per value with one UPDATE per chunk of ids: a run
    that changes nothing writes nothing (it used to be one UPDATE per class, each joining the
    whole run's results: a second at 100,000 customers)."""
    field, empty = CURRENT_FIELDS[run.model]
    if classes is None:
        classes = dict(EvaluationResult.objects.filter(run=run).order_by().values_list("customer_id", "klass"))
    if run.model == "key_account":
        wanted = {cid: klass == "key" for cid, klass in classes.items()}
    else:
        wanted = classes
    changed = 0
    with transaction.atomic():
        current = dict(Customer.objects.exclude(**{field: empty}).order_by().values_list("pk", field))
        moves: dict = {}
        for cid, value in wanted.items():
            if current.get(cid, empty) != value:
                moves.setdefault(value, []).append(cid)
        for cid, value in current.items():
            if cid not in wanted:  # not ranked by this run (no longer a customer): no class
                moves.setdefault(empty, []).append(cid)
        for value in sorted(moves, key=str):
            ids = sorted(moves[value])
            for k in range(0, len(ids), APPLY_BATCH):
                changed += (
                    Customer.objects.filter(pk__in=ids[k : k + APPLY_BATCH]).exclude(**{field: value}).update(**{field: value}, updated_at=timezone.now())
                )
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
    today = timezone.localdate(now)
    made = 0
    for model in DEFAULTS:
        conf = RankingSettings.load(model)
        if not conf.every_months:
            continue
        last = latest_run(model)
        # Due on the latest run's as-of date + every_months (the day clamped to the month's
        # end: 01-31 + 1 = 02-28), the date the settings page shows as the next run.
        if last is not None and today < add_months(last.as_of, conf.every_months):
            continue
        evaluation_run(actor=None, model=model, as_of=today, today=today)
        made += 1
    return made

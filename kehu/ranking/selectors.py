"""The reads of the ranking app: runs (the latest of each model, lists, the one asked for), the
schedule, and the reports' per-class sums and result lists — always restricted to the customers
the user may see (`Customer.objects.visible_to`). Runs are company-wide; ranks and classes come
from the company-wide run; only the rows shown are scoped. Sums are made in SQL, shares are exact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db.models import Count, Q, Subquery, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.accounts.visibility import customer_scope, sees_all
from kehu.core.dates import add_months
from kehu.customers.models import Customer
from kehu.ranking.errors import RankingError
from kehu.ranking.models import EvaluationResult, EvaluationRun, RankingSettings
from kehu.ranking.params import ordered_params
from kehu.ranking.scoring import DEFAULTS, number

KEY_ACCOUNT_LABELS = {"key": pgettext_lazy("key account class", "Key account"), "other": pgettext_lazy("key account class", "Not a key account")}

CLASS_ORDER = {
    "pyramid": [c.value for c in Customer.PyramidTier],
    "value": [c.value for c in Customer.ValueClass],
    "key_account": ["key", "other"],
}

INDICATOR_LABELS = {
    "profit": _("Profit"),
    "sales": pgettext_lazy("amount", "Sales"),
    "collection_rate": _("Collection rate"),
    "on_time_share": _("On-time share"),
    "margin": _("Margin"),
    "influence": _("Influence"),
    "growth": _("Growth"),
    "mean_days_late": _("Mean days late"),
    "open_pipeline": _("Open pipeline"),
    "contract_volume": _("Contract volume"),
    "price_level": _("Price level"),
    "quality_losses": _("Quality losses"),
    "reputation": _("Reputation"),
}

# Indicator columns per model, in the models' order (value prospects have influence and open_pipeline).
INDICATORS = {
    "pyramid": ["sales", "profit"],
    "value": ["sales", "collection_rate", "on_time_share", "margin", "influence", "growth", "mean_days_late", "open_pipeline"],
    "key_account": [
        "contract_volume", "price_level", "sales", "collection_rate", "profit", "quality_losses", "influence", "reputation",
    ],
}
MONEY_INDICATORS = {"sales", "profit", "open_pipeline", "contract_volume", "quality_losses"}
# Fractions, read as percentages (margin 0.3145 → 31.45%); the other indicators are ratings and
# days, read with one decimal (docs/rules.md, "Money on screen").
RATIO_INDICATORS = {"collection_rate", "on_time_share", "margin", "growth", "price_level"}


def class_label(model: str, klass: str) -> str:
    if model == "pyramid" and klass in Customer.PyramidTier.values:
        return Customer.PyramidTier(klass).label
    if model == "value" and klass in Customer.ValueClass.values:
        return Customer.ValueClass(klass).label
    if model == "key_account" and klass in KEY_ACCOUNT_LABELS:
        return KEY_ACCOUNT_LABELS[klass]
    return klass


def class_choices(model: str) -> list[tuple[str, str]]:
    return [(k, class_label(model, k)) for k in CLASS_ORDER[model]]


def indicator_label(name: str) -> str:
    return INDICATOR_LABELS.get(name, name)


def decimal_or_none(value):
    """An indicator as stored (Decimal, int, decimal string or None) as a Decimal, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def share(part, whole) -> Decimal:
    """part / whole exactly, rounded half-up to 4 places (0 when whole is 0)."""
    if not whole:
        return number(Fraction(0))
    return number(Fraction(part) / Fraction(whole))


def percent(fraction_share: Decimal) -> Decimal:
    return (fraction_share * 100).quantize(Decimal("0.01"))


# ---------------------------------------------------------------------------- runs


def latest_run(model: str) -> EvaluationRun | None:
    """The run a customer's current ranking comes from: the one with the latest as-of date
    (the most recently made among runs of that date). A run as of an earlier date — to look
    back or compare — is kept but does not change anyone's current tier."""
    return EvaluationRun.objects.filter(model=model).order_by("-as_of", "-id").first()


def latest_runs(*, annotate: dict | None = None) -> dict[str, EvaluationRun | None]:
    """{model: latest_run(model)} for every model, in one query; `annotate`: {name: expression}
    added to each run as `result_<name>` (the customer page: the customer's result in the run)."""
    wanted = Q()
    for model in DEFAULTS:
        wanted |= Q(pk=Subquery(EvaluationRun.objects.filter(model=model).order_by("-as_of", "-id").values("pk")[:1]))
    runs = EvaluationRun.objects.filter(wanted)
    if annotate:
        runs = runs.annotate(**{f"result_{name}": expression for name, expression in annotate.items()})
    found = {run.model: run for run in runs}
    return {model: found.get(model) for model in DEFAULTS}


def next_scheduled_run(conf: RankingSettings, last: EvaluationRun | None, *, today: date) -> date | None:
    """When `kehu daily` will run the model next: never (None) with every_months = 0, today
    when never run, else the latest run's as-of date + every_months, the day clamped to the
    month's end (today if already past)."""
    if not conf.every_months:
        return None
    if last is None:
        return today
    return max(add_months(last.as_of, conf.every_months), today)


def run_list(*, model: str = ""):
    """Every run (of `model` when it is one), newest as-of first, with who started it."""
    runs = EvaluationRun.objects.select_related("started_by").order_by("-as_of", "-id")
    return runs.filter(model=model) if model in EvaluationRun.Model.values else runs


def run_get(pk) -> EvaluationRun | None:
    """One run by its number, or None (a malformed number too)."""
    try:
        return EvaluationRun.objects.select_related("started_by").filter(pk=int(pk)).first()
    except (TypeError, ValueError, OverflowError):
        return None


def run_pick(model: str, raw_pk) -> EvaluationRun | None:
    """`?run=<pk>` of this model, else the model's latest run; None when there is none (or the pk is not one of this model)."""
    if raw_pk not in (None, ""):
        try:
            pk = int(raw_pk)
        except (TypeError, ValueError):
            return None
        return EvaluationRun.objects.filter(model=model, pk=pk).select_related("started_by").first()
    run = latest_run(model)
    if run is not None:
        run = EvaluationRun.objects.select_related("started_by").get(pk=run.pk)
    return run


def runs_of(model: str):
    """Runs of a model for a picker, newest as-of first (bounded)."""
    return EvaluationRun.objects.filter(model=model).order_by("-as_of", "-id").only("id", "as_of", "model")[:100]


def previous_run(run: EvaluationRun) -> EvaluationRun | None:
    """The run of the same model made just before `run` — "the last run" a director compares a new
    run with, whatever its as-of date (docs/rules.md, "Reports")."""
    return EvaluationRun.objects.filter(model=run.model, id__lt=run.pk).order_by("-id").first()


def results_scope(user, run: EvaluationRun | None = None) -> Q:
    """A Q on EvaluationResult for the customers `user` may see, in the form the database runs
    fastest (measured at 100,000 customers, docs/performance.md):

    - whoever sees every customer — or a director whose teams own every customer — reads the run
      less the customers in the recycle bin (no join);
    - a narrow scope (a rep's 1,000 customers) starts from the customers: `customer_id IN
      (visible customers)` through the owner index;
    - a broad one walks the run in its order and checks each row's customer (a join)."""
    # `IN (1)`: Django writes `is_deleted=True` as the bare column, which SQLite cannot look up in
    # the column's index (it scanned 100,000 index entries for the few in the recycle bin)
    deleted = ~Q(customer_id__in=Customer.objects.filter(is_deleted__in=[True]).values("id"))
    if user is SYSTEM or sees_all(user):
        return deleted
    visible = Customer.objects.filter(customer_scope(user))
    cache = getattr(user, "_ranking_scope_counts", None)
    if cache is None:
        cache = user._ranking_scope_counts = {}  # once per request: the user object lives as long
    if "hidden" not in cache:
        # Does the user see every customer? One customer out of sight answers it (EXISTS stops
        # there) — not two counts of the whole table.
        cache["hidden"] = Customer.objects.filter(is_deleted=False).exclude(customer_scope(user)).exists()
    if not cache["hidden"]:
        return deleted
    if run is not None:
        # Broad (visible × 5 ≥ the run's size): counted only up to that bound.
        bound = -(-run.result_count // 5)
        if bound not in cache:
            cache[bound] = visible.order_by()[:bound].count() >= bound
        if cache[bound]:
            return customer_scope(user, prefix="customer")
    return Q(customer_id__in=visible.values("id"))


SYSTEM = object()  # the reader of `kehu evaluate --xlsx`: the command line sees every customer, as the director does


def visible_results(run: EvaluationRun, user):
    return EvaluationResult.objects.filter(run=run).filter(results_scope(user, run))


def class_table(run: EvaluationRun, user) -> dict:
    """Per class, in ladder order: count, share of customers, sales, profit, share of profit —
    one grouped query over the visible results. Also whether the user sees every result."""
    rows = {
        r["klass"]: r
        # COUNT(*): the id is not in `ranking_result_class_cover`, which answers the query alone
        for r in visible_results(run, user).values("klass").annotate(n=Count("*"), s=Sum("sales"), p=Sum("profit")).order_by()
    }
    total_n = sum(r["n"] for r in rows.values())
    total_s = sum((r["s"] or Decimal(0) for r in rows.values()), Decimal(0))
    total_p = sum((r["p"] or Decimal(0) for r in rows.values()), Decimal(0))
    out = []
    for klass in CLASS_ORDER[run.model] + sorted(set(rows) - set(CLASS_ORDER[run.model])):
        r = rows.get(klass, {"n": 0, "s": None, "p": None})
        sales, profit = r["s"] or Decimal("0.00"), r["p"] or Decimal("0.00")
        count_share, profit_share = share(r["n"], total_n), share(profit, total_p)
        out.append(
            {
                "klass": klass,
                "label": class_label(run.model, klass),
                "count": r["n"],
                "count_share": count_share,
                "count_pct": percent(count_share),
                "sales": sales,
                "profit": profit,
                "profit_share": profit_share,
                "profit_pct": percent(profit_share),
            }
        )
    return {"rows": out, "count": total_n, "sales": total_s, "profit": total_p}


def scope_note(run: EvaluationRun, user, visible_count: int) -> int | None:
    """None when the user sees every customer, else the visible count (for the "Covers N" line)."""
    return None if sees_all(user) else visible_count


def result_rows(run: EvaluationRun, user, *, klass: str | None = None):
    """Visible results of a run, with the customer, in the run's order (rank, then position)."""
    qs = visible_results(run, user).select_related("customer").only(
        "id", "rank", "score", "klass", "sales", "profit", "indicators", "position",
        "customer__id", "customer__code", "customer__name",
    )
    if klass:
        qs = qs.filter(klass=klass)
    return qs.order_by("position")


def decorate(rows, model: str) -> list[dict]:
    """Rows for templates/exports: label of the class and the indicators as a list in column order."""
    names = INDICATORS[model]
    return [
        {
            "result": r,
            "customer": r.customer,
            "label": class_label(model, r.klass),
            "indicators": [
                {"value": decimal_or_none((r.indicators or {}).get(n)), "money": n in MONEY_INDICATORS, "ratio": n in RATIO_INDICATORS}
                for n in names
            ],
        }
        for r in rows
    ]


# ---------------------------------------------------------------------------- a run as a document


def _stored_results(run: EvaluationRun) -> list[dict]:
    rows = run.results.order_by("position").values_list("customer__code", "rank", "score", "klass", "indicators")
    return [
        {"customer": code, "rank": rank, "score": None if score is None else number(score), "class": klass, "indicators": ind}
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
        out.append({"class": tier, "count": len(members), "profit_share": number(_exact(tier_profit, total))})
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

# Class ladders for `runs_compare`, best first.
LADDERS = {
    "pyramid": [("important", "major", "ordinary", "small")],
    "value": [
        ("diamond", "strategic", "potential", "general", "problem"),
        ("important_opportunity", "general_opportunity"),
    ],
    "key_account": [("key", "other")],
}


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
            gettext("Runs %(a)s and %(b)s use different models (%(model_a)s, %(model_b)s) and cannot be compared.")
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

COMPARE_LIMIT = 100  # rows shown per section; the export has all (a page of 4 × 100 renders in ~0.3 s)



def compare(before: EvaluationRun, after: EvaluationRun, user, *, limit: int | None = COMPARE_LIMIT) -> dict:
    """`runs_compare` mapped to visible customers, with indicator changes.

    Each section keeps its visible customers (`total`) and shows the first `limit` of them
    (None: all, for the export). Besides runs_compare (over the visible results only): the
    shown customers, and the indicators of each run for them."""
    diff = runs_compare(before, after, results_filter=results_scope(user, after))
    totals = {key: len(items) for key, items in diff.items()}
    shown = {key: items if limit is None else items[:limit] for key, items in diff.items()}
    codes = {item if isinstance(item, str) else item["customer"] for items in shown.values() for item in items}
    customers = {c.code: c for c in Customer.objects.filter(code__in=codes).only("id", "code", "name")} if codes else {}
    ids = [c.id for c in customers.values()]
    ind_before = dict(EvaluationResult.objects.filter(run=before, customer_id__in=ids).values_list("customer_id", "indicators")) if ids else {}
    ind_after = dict(EvaluationResult.objects.filter(run=after, customer_id__in=ids).values_list("customer_id", "indicators")) if ids else {}

    def changes(cid):
        a, b = ind_before.get(cid) or {}, ind_after.get(cid) or {}
        return [
            {"name": n, "label": indicator_label(n), "money": n in MONEY_INDICATORS, "ratio": n in RATIO_INDICATORS,
             "before": decimal_or_none(a.get(n)), "after": decimal_or_none(b.get(n))}
            for n in INDICATORS[after.model]
            if n in a or n in b  # an entry has only "after" values, a departure only "before"
        ]

    def row(item):
        code = item if isinstance(item, str) else item["customer"]
        c = customers[code]
        out = {"customer": c, "changes": changes(c.id)}
        if not isinstance(item, str):
            out["from"] = class_label(after.model, item["from"])
            out["to"] = class_label(after.model, item["to"])
        return out

    out = {key: [row(item) for item in items if (item if isinstance(item, str) else item["customer"]) in customers] for key, items in shown.items()}
    out["totals"] = totals
    return out

"""`{% ranking_panel customer %}`: the customer's current pyramid tier, value class and
key-account flag (DOMAIN.md §5), each with the as-of date, rank and score of the latest run
of its model, and the terms the customer gets from them (§5.4).

Queries: the latest run of each model (one), the customer's results in those runs (one),
the tier policies and the company settings (one or two) — at most four. The runs are
company-wide; the panel shows only the customer the page already fetched through its
visibility scope."""

from django import template
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.ranking.permissions import can_start_run
from kehu.ranking.policy import customer_policy_detail
from kehu.ranking.selectors import latest_runs

register = template.Library()

MODELS = ("pyramid", "value", "key_account")

# Bootstrap badge colours of the classes, best first.
BADGES = {
    "important": "text-bg-danger", "major": "text-bg-warning", "ordinary": "text-bg-info", "small": "text-bg-secondary",
    "diamond": "text-bg-primary", "strategic": "text-bg-success", "potential": "text-bg-info", "general": "text-bg-secondary",
    "problem": "text-bg-danger", "important_opportunity": "text-bg-warning", "general_opportunity": "text-bg-light border",
    "key": "text-bg-warning",
}


def _label(model: str, klass: str) -> str:
    if model == "pyramid" and klass in Customer.PyramidTier.values:
        return str(Customer.PyramidTier(klass).label)
    if model == "value" and klass in Customer.ValueClass.values:
        return str(Customer.ValueClass(klass).label)
    if model == "key_account":
        return _("Key account") if klass == "key" else _("Not a key account")
    return klass


def ranking_rows(customer) -> list[dict]:
    """One row per model: the latest run (None: never run) and the customer's result in it."""
    from django.db.models import OuterRef, Subquery

    # The latest runs with the customer's result in each, in one query.
    mine = EvaluationResult.objects.filter(run_id=OuterRef("pk"), customer_id=customer.pk)
    runs = latest_runs(annotate={name: Subquery(mine.values(name)[:1]) for name in ("id", "rank", "score", "klass")})
    results = {
        run.pk: EvaluationResult(pk=run.result_id, run_id=run.pk, customer_id=customer.pk, rank=run.result_rank, score=run.result_score, klass=run.result_klass)
        for run in runs.values() if run is not None and run.result_id is not None
    }
    current = {
        "pyramid": customer.pyramid_tier,
        "value": customer.value_class,
        "key_account": "key" if customer.is_key_account else "",
    }
    rows = []
    for model in MODELS:
        run = runs[model]
        result = results.get(run.pk) if run is not None else None
        klass = current[model]
        rows.append({
            "model": model,
            "title": str(EvaluationRun.Model(model).label),
            "run": run,
            "result": result,
            "klass": klass,
            "label": _label(model, klass) if klass else "",
            "badge": BADGES.get(klass, "text-bg-secondary"),
            "is_key": model == "key_account" and customer.is_key_account,
        })
    return rows


@register.simple_tag(takes_context=True)
def ranking_panel(context, customer):
    request = context["request"]
    rows = ranking_rows(customer)
    return render_to_string(
        "ranking/partials/ranking_panel.html",
        {
            "customer": customer,
            "rows": rows,
            "ranked": any(r["run"] is not None for r in rows),
            "can_run": can_start_run(request.user),
            "policy": customer_policy_detail(customer),
        },
        request=request,
    )

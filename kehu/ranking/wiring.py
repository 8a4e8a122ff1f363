"""What the ranking app plugs into the layers below it (docs/architecture.md): the scheduled
runs of `kehu daily`, and the tier policies (`kehu.sales.policy.POLICY_PROVIDERS`,
`kehu.activities.hooks.VISIT_INTERVAL_PROVIDERS`)."""

from django.utils.translation import gettext_lazy

DAILY_KEY = "ranking_runs"


def register() -> None:
    from kehu.customers.management.commands import daily
    from kehu.ranking.services import ranking_run_scheduled

    if not any(key == DAILY_KEY for key, _label, _fn in daily.STEPS):
        # First: pool returns and key-account visit alerts read the flags a run sets.
        daily.STEPS.insert(0, (DAILY_KEY, gettext_lazy("Scheduled evaluation runs"), ranking_run_scheduled))
    register_policies()


def register_policies() -> None:
    """The tier policies answer before the company default (idempotent)."""
    from kehu.activities import hooks
    from kehu.ranking.policy import tier_policies, tier_visit_intervals
    from kehu.sales import policy

    if tier_policies not in policy.POLICY_PROVIDERS:
        policy.POLICY_PROVIDERS.append(tier_policies)
    if tier_visit_intervals not in hooks.VISIT_INTERVAL_PROVIDERS:
        hooks.VISIT_INTERVAL_PROVIDERS.append(tier_visit_intervals)

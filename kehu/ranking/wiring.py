"""What the ranking app plugs into the layers below it (docs/architecture.md): the scheduled
runs of `kehu daily`, and the tier policies (`kehu.sales.policy.POLICY_PROVIDERS`,
`kehu.activities.hooks.VISIT_INTERVAL_PROVIDERS`)."""

from django.utils.translation import gettext_lazy

DAILY_KEY = "ranking_runs"


def register() -> None:
    from kehu.core.hooks import DailyStep, daily_step_register
    from kehu.ranking.services import ranking_run_scheduled

    # First (order 10): pool returns and key-account visit alerts read the flags a run sets.
    daily_step_register(DailyStep(DAILY_KEY, gettext_lazy("Scheduled evaluation runs"), ranking_run_scheduled, order=10))
    register_policies()
    from kehu.ranking import jobs

    jobs.register()  # evaluation runs and large XLSX exports in the background (kehu.core.jobs)


def register_policies() -> None:
    """The tier policies answer before the company default (idempotent)."""
    from kehu.activities import hooks
    from kehu.ranking.policy import tier_commission_rate_cases, tier_policies, tier_visit_intervals
    from kehu.sales import policy

    policy.POLICY_PROVIDERS.register(tier_policies)
    policy.COMMISSION_RATE_SQL.register(tier_commission_rate_cases, key=tier_policies)
    hooks.VISIT_INTERVAL_PROVIDERS.register(tier_visit_intervals)

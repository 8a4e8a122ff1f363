"""The writes of the ranking app, a module per entity: evaluation runs (`runs`), the scoring
settings (`settings`), the tier policies (`policies`). Each write checks its permission
(`kehu.ranking.permissions`), runs in one transaction, locks what it changes and is audited
(a run is its own record: it is written once and never changed)."""

from kehu.ranking.services.policies import tier_policies_set  # noqa: F401
from kehu.ranking.services.runs import current_ranking_apply, evaluation_run, ranking_run_scheduled  # noqa: F401
from kehu.ranking.services.settings import ranking_settings_reset, ranking_settings_save  # noqa: F401

"""Who may do what in the ranking app: `can_<verb>_<entity>(user)`. The services check them;
templates only use them to hide a button. The reports themselves are open to every signed-in
user, scoped to the customers they may see (`kehu.ranking.selectors`)."""


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_start_run(user) -> bool:
    """An evaluation run on demand (the run pages, every 立即评估 button, the customer panel's
    link): administrators and managers (directors)."""
    return _active(user) and (user.is_admin_role or user.is_manager)


def can_edit_ranking_settings(user) -> bool:
    """The scoring settings (window, schedule, parameters of each model): administrators."""
    return _active(user) and user.is_admin_role


def can_edit_policies(user) -> bool:
    """The tier policies (DOMAIN.md §5.4): administrators."""
    return _active(user) and user.is_admin_role

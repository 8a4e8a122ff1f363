"""Who may do what with targets and forecasts: `can_<verb>_<entity>`. The services check them;
templates only use them to hide a button. Who *sees* which rep's numbers is
`kehu.planning.querysets.planning_user_ids` (404 for anything else)."""

from kehu.accounts.permissions import active


def can_view_planning(user) -> bool:
    """Targets, forecasts, the review and accuracy pages: every active user with a role
    (a rep their own numbers, a manager their teams', the director and finance everyone's)."""
    return active(user) and (user.is_rep or user.is_manager or user.is_admin_role or user.is_finance)


def can_edit_targets(user) -> bool:
    """The target page's grid at all: administrators (the director) and managers."""
    return active(user) and (user.is_admin_role or user.is_manager)


def can_set_target(user, *, scope: str, team=None, rep=None) -> bool:
    """Setting one target: the director (admin) any — company, team, rep; a manager the reps of
    the teams they manage — users with the rep role, never their own (a team's and the company's
    own targets are the director's)."""
    if not active(user):
        return False
    if user.is_admin_role:
        return True
    if user.is_manager and scope == "user" and rep is not None:
        from kehu.accounts.visibility import managed_user_ids

        return rep.pk in managed_user_ids(user) and rep.pk != user.pk and rep.is_rep
    return False


def can_submit_forecast(user) -> bool:
    """A weekly forecast submission (and the grid's edits, which are the opportunity's own
    rules): users with the rep role."""
    return active(user) and user.is_rep


def can_adjust_forecast(user, rep) -> bool:
    """A manager's adjustment of a rep's number: the managers of the rep's team, and the
    director (admin). Never one's own number."""
    if not active(user) or rep is None or rep.pk == user.pk:
        return False
    if user.is_admin_role:
        return True
    if user.is_manager:
        from kehu.accounts.visibility import managed_user_ids

        return rep.pk in managed_user_ids(user)
    return False


def can_edit_planning_settings(user) -> bool:
    """The cut-off day and the reminder: administrators."""
    return active(user) and user.is_admin_role

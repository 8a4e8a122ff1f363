"""Whose targets and forecasts a user sees: the one place for planning (built from
`kehu.accounts.visibility`). A rep sees their own; a manager the members of the teams they
manage (and their own); the director (admin) and finance everyone. Anything else is 404."""

from django.db.models import Q

from kehu.accounts.visibility import NOTHING, managed_user_ids, sees_all


def planning_user_q(user, *, prefix: str = "") -> Q:
    """A Q selecting the users (`prefix` = the path to the user, e.g. "user") whose numbers
    `user` may see."""
    p = f"{prefix}__" if prefix else ""
    if not (user and user.is_authenticated and user.is_active):
        return NOTHING
    if sees_all(user):
        return Q()
    if user.is_manager:
        return Q(**{f"{p}id__in" if not prefix else f"{prefix}_id__in": managed_user_ids(user)})
    if user.is_rep:
        return Q(**{f"{p}id" if not prefix else f"{prefix}_id": user.id})
    return NOTHING


def planning_users(user, *, include_inactive: bool = False):
    """The active users with the rep role whose numbers `user` sees, by username;
    `include_inactive` adds the deactivated ones (their past forecasts stay readable)."""
    from kehu.accounts.models import User

    qs = User.objects.filter(planning_user_q(user), role=User.Role.REP)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.select_related("team").order_by("username")


def visible_teams(user):
    """The teams whose numbers `user` sees: all for the director and finance, the teams a
    manager manages, the rep's own team (its target only)."""
    from kehu.accounts.models import Team

    if not (user and user.is_authenticated and user.is_active):
        return Team.objects.none()
    if sees_all(user):
        return Team.objects.all()
    if user.is_manager:
        return Team.objects.filter(managers=user)
    return Team.objects.filter(pk=user.team_id) if user.team_id else Team.objects.none()


def sees_company(user) -> bool:
    """The company's own numbers: the director and finance."""
    return bool(user and user.is_authenticated and user.is_active and sees_all(user))


def submissions_visible_to(user):
    from kehu.planning.models import ForecastSubmission

    return ForecastSubmission.objects.filter(planning_user_q(user, prefix="user"))


def adjustments_visible_to(user):
    from kehu.planning.models import ForecastAdjustment

    return ForecastAdjustment.objects.filter(planning_user_q(user, prefix="submission__user"))


def targets_visible_to(user):
    """Rep targets of the users `user` sees, team targets of the teams they see, the company's
    target for the director and finance."""
    from kehu.planning.models import Target

    q = Q(scope=Target.Scope.USER) & planning_user_q(user, prefix="user")
    q |= Q(scope=Target.Scope.TEAM, team__in=visible_teams(user))
    if sees_company(user):
        q |= Q(scope=Target.Scope.COMPANY)
    return Target.objects.filter(q)

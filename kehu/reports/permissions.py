"""Who may open the reports and the 工作台: `can_<verb>_<entity>`. Whose numbers a report shows
is `kehu.reports.filters` (built on `kehu.planning.querysets`, the one place): a rep their own,
a manager the members of the teams they manage, the director (admin) and finance everyone."""

from kehu.accounts.permissions import active


def can_view_reports(user) -> bool:
    """Every report page and its export: every active user with a role."""
    return active(user) and (user.is_rep or user.is_manager or user.is_admin_role or user.is_finance)


def can_view_workbench(user) -> bool:
    """The landing page: every active user (a user without a role sees the links they have)."""
    return active(user)

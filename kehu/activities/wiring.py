"""What activities plug into the apps below them (customers' hooks and core's `kehu daily`
steps).

Called once from ActivitiesConfig.ready(); each registration is idempotent.
"""


def register_handover_and_merge() -> None:
    """Planned follow-ups move with handed-over customers; a merge moves every activity."""
    from kehu.activities import services
    from kehu.customers import hooks

    hooks.HANDOVER_COUNTERS.register(services.planned_followups_count)
    hooks.HANDOVER_MOVERS.register(services.planned_followups_hand_over)
    hooks.MERGE_MOVERS.register(services.activities_merge)
    hooks.POOL_EXIT_HANDLERS.register(services.planned_followups_close_for_pool)


def register_daily_steps() -> None:
    """Reminders, alerts and the digest in `kehu daily` (activities.notifications), and the
    follow-up summary's safety net (activities.summaries)."""
    from django.utils.translation import gettext_lazy

    from kehu.activities import notifications, summaries
    from kehu.core.hooks import DailyStep, daily_step_register

    for step in notifications.DAILY_STEPS:
        daily_step_register(step)
    # The follow-up summary checked against the rows before anything reads it (the anomaly
    # alerts at 60): rows fixed, normally 0.
    daily_step_register(DailyStep(summaries.REBUILD_KEY, gettext_lazy("Follow-up summary checked: cells fixed"), summaries.daily_rebuild, order=40))


def register_audit_notes() -> None:
    """How the system notes activities writes read (kehu.core.audit.audit_note)."""
    from kehu.activities import services
    from kehu.core.audit import AUDIT_NOTES

    AUDIT_NOTES.register(services.note_logged_text, key=services.NOTE_LOGGED)


def register_header_counts() -> None:
    """The header's unread notifications and (managers, admins) quotes awaiting their approval,
    read together (kehu.core.context_processors.HeaderBadges)."""
    from kehu.activities.notifications import header_count_approvals, header_count_unread
    from kehu.core.context_processors import HEADER_COUNTS, HeaderCount

    HEADER_COUNTS.register(HeaderCount("unread", lambda user: True, header_count_unread), key="unread")
    HEADER_COUNTS.register(HeaderCount("approvals", lambda user: user.is_manager or user.is_admin_role, header_count_approvals),
                           key="approvals")


def register() -> None:
    register_header_counts()
    register_handover_and_merge()
    register_daily_steps()
    register_audit_notes()

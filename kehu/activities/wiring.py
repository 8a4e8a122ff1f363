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
    """Reminders, alerts and the digest in `kehu daily` (activities.notifications)."""
    from kehu.activities import notifications
    from kehu.core.hooks import daily_step_register

    for step in notifications.DAILY_STEPS:
        daily_step_register(step)


def register_audit_notes() -> None:
    """How the system notes activities writes read (kehu.core.audit.audit_note)."""
    from kehu.activities import services
    from kehu.core.audit import AUDIT_NOTES

    AUDIT_NOTES.register(services.note_logged_text, key=services.NOTE_LOGGED)


def register() -> None:
    register_handover_and_merge()
    register_daily_steps()
    register_audit_notes()

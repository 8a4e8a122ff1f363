"""What activities plug into the apps below them (customers' hooks and `kehu daily`).

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
    """Reminders, alerts and the digest in `kehu daily` (activities.notifications), once."""
    from kehu.activities import notifications

    notifications.daily_steps_register()


def register() -> None:
    register_handover_and_merge()
    register_daily_steps()

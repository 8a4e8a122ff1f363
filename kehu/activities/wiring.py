"""What activities plug into the apps below them (customers' hooks and `kehu daily`).

Called once from ActivitiesConfig.ready(); each registration is idempotent.
"""


def register() -> None:
    # Filled in by the activities services: handover/merge movers, counters, daily steps.
    pass

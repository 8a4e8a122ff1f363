"""Typed extension points: the one way a higher app plugs into a lower one.

A lower app declares a hook; a higher app registers into it from its `AppConfig.ready()`;
the lower app calls what is registered and never imports the higher one.

    # kehu/customers/hooks.py (lower)
    POOL_RETURN_FILTERS: Hook[Callable[[QuerySet], QuerySet]] = Hook("customers.pool_return_filters")

    # kehu/sales/apps.py (higher), in ready()
    POOL_RETURN_FILTERS.register(customers_without_open_opportunity)

Registration is idempotent (a test settings reload or a second `ready()` adds nothing), the
order is the order of registration (apps load in INSTALLED_APPS order), and `key` lets a
hook hold one entry per name (a notification kind's renderer, a `kehu daily` step).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class Hook(Generic[T]):
    def __init__(self, name: str):
        self.name = name
        self._entries: dict[object, T] = {}

    def register(self, entry: T, *, key: object = None) -> T:
        """Add `entry` (once: registering the same entry or key again replaces it in place)."""
        self._entries[entry if key is None else key] = entry
        return entry

    def unregister(self, entry_or_key) -> None:
        for k, v in list(self._entries.items()):
            if k == entry_or_key or v is entry_or_key:
                del self._entries[k]

    def get(self, key, default=None):
        return self._entries.get(key, default)

    def keys(self) -> list:
        return list(self._entries)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry) -> bool:
        return entry in self._entries or any(v is entry for v in self._entries.values())

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._entries)} entries>"


@dataclass(frozen=True)
class DailyStep:
    """One step of `kehu daily`: `run(*, now) -> int` (how many records it wrote), idempotent.
    `key` names it in the --json output, `label` (lazy) in the summary; `order` sorts the
    steps: evaluation runs (10) before pool warnings (20) before returns (30) before
    reminders (50…) before the digest (90)."""

    key: str
    label: object
    run: Callable
    order: int = 50


# The steps of `kehu daily`, registered by the app that owns each (keyed by `key`).
DAILY_STEPS: Hook[DailyStep] = Hook("core.daily_steps")


def daily_step_register(step: DailyStep) -> DailyStep:
    return DAILY_STEPS.register(step, key=step.key)


def daily_steps() -> list[DailyStep]:
    """The registered steps in the order they run."""
    return sorted(DAILY_STEPS, key=lambda s: s.order)

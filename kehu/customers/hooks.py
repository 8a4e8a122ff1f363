"""Extension points for later apps (sales, activities), registered in their AppConfig.ready.

Customers sits below sales and activities in the import order, so it cannot ask them
directly whether a customer has an open opportunity; they register functions here.
"""

from collections.abc import Callable

# fn(queryset of customers) -> the same queryset without those that must not return to the pool
POOL_RETURN_FILTERS: list[Callable] = []
# fn(*, actor, from_user, to_user, customer_ids) -> {label: count} of records moved to to_user
HANDOVER_MOVERS: list[Callable] = []
# fn(*, actor, kept, merged) -> {label: count} of records moved from merged to kept
MERGE_MOVERS: list[Callable] = []
# fn(*, from_user, customer_ids) -> {label: count} of records that a handover would move (for the confirm page)
HANDOVER_COUNTERS: list[Callable] = []
# fn(*, customer_ids, now) -> None: the customers left their owner for the pool (release or
# automatic return); e.g. open planned follow-ups are closed, since nobody owns them any more.
POOL_EXIT_HANDLERS: list[Callable] = []

"""Extension points of the customers app, registered by the apps above it in their
`AppConfig.ready()` (kehu.core.hooks.Hook: idempotent, in registration order).

Customers sits below sales, activities, finance and ranking in the import order, so it cannot
ask them whether a customer has an open opportunity, what moves with a handover, or what
their panel of the customer page shows; they register functions here.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.hooks import Hook

# fn(queryset of customers) -> the same queryset without those that must not return to the pool
POOL_RETURN_FILTERS: Hook[Callable] = Hook("customers.pool_return_filters")
# fn(*, actor, from_user, to_user, customer_ids) -> {label: count} of records moved to to_user
HANDOVER_MOVERS: Hook[Callable] = Hook("customers.handover_movers")
# fn(*, actor, kept, merged) -> {label: count} of records moved from merged to kept
MERGE_MOVERS: Hook[Callable] = Hook("customers.merge_movers")
# fn(*, from_user, customer_ids) -> {label: count} of records that a handover would move (for the confirm page)
HANDOVER_COUNTERS: Hook[Callable] = Hook("customers.handover_counters")
# fn(*, customer_ids, now) -> None: the customers left their owner for the pool (release or
# automatic return); e.g. open planned follow-ups are closed, since nobody owns them any more.
POOL_EXIT_HANDLERS: Hook[Callable] = Hook("customers.pool_exit_handlers")
# fn() -> product category names suggested when a customer's spend is entered in the archive.
CATEGORY_SOURCES: Hook[Callable[[], Iterable[str]]] = Hook("customers.category_sources")


# --- the customer page --------------------------------------------------------------------
# The page is a summary card and then sections (tabs when JavaScript runs, one under the other
# without it). Each app registers the panels it owns into a section; the page renders the
# registered panels of each section in `order`, so a new app adds its panel without editing
# templates/customers/customer_detail.html.

SUMMARY = "summary"  # facts inside the summary card at the top (a few <div>s each, no card of their own)
SECTIONS = (
    ("followup", pgettext_lazy("customer page tab", "Follow-up")),
    ("deals", _("Opportunities · quotes")),
    ("orders", _("Contracts · orders · payments")),
    ("records", pgettext_lazy("customer page tab", "Records")),
    ("history", pgettext_lazy("customer page tab", "History")),
)


@dataclass(frozen=True)
class CustomerPanel:
    """One panel of the customer page.

    `width`: "main" (the wide column), "side" (the narrow column beside it on large screens,
    after it on small ones) or "full" (the section's whole width, above both columns).
    Either `render(context, customer) -> html` ("" hides the panel), or `template` rendered
    with `context(context, customer) -> dict` (None hides it; without a `context` function the
    template gets the page's own context, as `{% include %}` would). `context` is the page's
    template context: `context["request"]` is the request. `customer` was fetched through the
    visibility scope by the page's view; a panel's own reads start from `visible_to(user)`.

    `lazy`: a secondary panel whose reads are its own (nothing the rest of the page shares) is
    drawn after the page: the page holds a placeholder that htmx replaces on load with the panel
    from `customers:panels` (`?key=`; the same customer, context and visibility: 404 for a
    customer the reader may not open); without JavaScript the placeholder is a link to it.
    """

    key: str
    section: str
    order: int = 50
    width: str = "main"
    render: Callable | None = None
    template: str = ""
    context: Callable | None = None
    lazy: bool = False

    def html(self, context, customer) -> str:
        if self.render is not None:
            return self.render(context, customer) or ""
        if self.context is None:
            values = context.flatten() if hasattr(context, "flatten") else dict(context)
        else:
            values = self.context(context, customer)
            if values is None:
                return ""
            values = {"customer": customer, **values}
        return render_to_string(self.template, values, request=context.get("request"))


CUSTOMER_PANELS: Hook[CustomerPanel] = Hook("customers.customer_panels")


def customer_panel_register(panel: CustomerPanel) -> CustomerPanel:
    """Register (or replace, by `key`) a panel of the customer page."""
    if panel.section != SUMMARY and panel.section not in dict(SECTIONS):
        raise ValueError(f"Unknown section of the customer page: {panel.section!r}")
    if panel.width not in ("main", "side", "full"):
        raise ValueError(f"Unknown panel width: {panel.width!r}")
    return CUSTOMER_PANELS.register(panel, key=panel.key)


def customer_panels(section: str) -> list[CustomerPanel]:
    """The registered panels of `section`, in order."""
    return sorted((p for p in CUSTOMER_PANELS if p.section == section), key=lambda p: (p.order, p.key))

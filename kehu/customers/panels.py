"""The customers app's own panels of the customer page (kehu.customers.hooks.CUSTOMER_PANELS),
registered from CustomersConfig.ready() like any other app's: the qualification checklist,
the record itself (basic information, contacts, profile, data card), the key-account archive
summary and the history. Templates without a context function get the page's context (the
customer from the visibility-scoped selector, `can`, `referrer_visible`)."""

from kehu.customers.hooks import CustomerPanel, customer_panel_register


def qualification_panel(context, customer) -> str:
    from kehu.customers.views.qualification import render_panel

    return render_panel(context["request"], customer)


def history_context(context, customer) -> dict:
    from kehu.customers.selectors import customer_history_rows

    return {"history": customer_history_rows(customer=customer, user=context["request"].user)}


def register() -> None:
    for panel in (
        CustomerPanel(key="qualification", section="followup", order=10, width="full", render=qualification_panel),
        CustomerPanel(key="basic", section="records", order=10, template="customers/partials/basic_panel.html"),
        CustomerPanel(key="contacts", section="records", order=20, template="customers/partials/contacts_panel.html"),
        CustomerPanel(key="profile", section="records", order=30, template="customers/partials/profile_panel.html"),
        CustomerPanel(key="data-card", section="records", order=10, width="side", template="customers/partials/data_card_panel.html"),
        CustomerPanel(key="archive", section="records", order=20, width="side", template="customers/partials/archive_panel.html", lazy=True),
        CustomerPanel(key="history", section="history", order=10, width="full",
                      template="customers/partials/history_panel.html", context=history_context),
    ):
        customer_panel_register(panel)

"""The activities app's panel of the customer page (kehu.customers.hooks.CUSTOMER_PANELS),
registered from ActivitiesConfig.ready(): the log and plan forms, open planned follow-ups
and the timeline."""

from kehu.customers.hooks import CustomerPanel, customer_panel_register


def activity_panel(context, customer) -> str:
    from kehu.activities.templatetags.activity_panel import activity_panel as tag

    return tag(context, customer)


def register() -> None:
    customer_panel_register(CustomerPanel(key="activities", section="followup", order=20, render=activity_panel))

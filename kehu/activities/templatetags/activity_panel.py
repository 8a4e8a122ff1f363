"""`{% activity_panel customer %}`: the follow-up panel (log form, open planned follow-ups,
timeline) on the customer page, rendered by the activities app so that the customers app,
below it, never imports it. `customer` must come from the visibility scope (the page's
own selector); the panel's reads start from it again."""

from django import template

from kehu.activities.views.records import render_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def activity_panel(context, customer):
    return render_panel(context["request"], customer)

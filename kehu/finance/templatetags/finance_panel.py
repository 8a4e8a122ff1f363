"""`{% finance_panel customer %}`: a panel of the customer page (placeholder until its owner fills it).
`customer` comes from the page's visibility-scoped selector."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def finance_panel(context, customer):
    return ""

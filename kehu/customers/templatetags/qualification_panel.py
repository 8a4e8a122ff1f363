"""`{% qualification_panel customer %}`: the prospect qualification checklist on the customer
page (hidden for signed and VIP customers). `customer` comes from the page's
visibility-scoped selector; the panel's reads start from it."""

from django import template

from kehu.customers.views.qualification import render_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def qualification_panel(context, customer):
    return render_panel(context["request"], customer)

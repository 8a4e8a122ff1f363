"""The key-account archive panel on the customer page (templates/customers/partials/archive_panel.html)."""

from django import template

from kehu.customers.archive.selectors import archive_summary as summary_of

register = template.Library()


@register.simple_tag
def archive_summary(customer):
    """{% archive_summary customer as summary %}: what the panel shows (two queries). The
    customer was fetched through the visibility scope by the page's view. Decision makers are
    counted from the contacts the page already loaded (`customer.contact_list`) when present."""
    return summary_of(customer=customer, contacts=getattr(customer, "contact_list", None))

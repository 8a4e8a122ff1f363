"""Reads of selling, each starting from the visibility scope."""

from kehu.sales.models import Opportunity


def opportunity_list(*, user, open_only: bool = False):
    qs = Opportunity.objects.visible_to(user).select_related("customer", "owner", "stage")
    if open_only:
        qs = qs.filter(stage__is_closed=False)
    return qs

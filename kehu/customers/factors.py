"""The ranked buying factors (002) of a customer or an opportunity: first and second, from
`BuyingFactor`. The one check every form and service applies (the database holds the same rule
as a CheckConstraint, `buying_factors_q`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.customers.models import BuyingFactor


def buying_factors_problem(first: str, second: str) -> tuple[str, str] | None:
    """None when (first, second) is a valid ranking, else (field, translated message): a factor
    must be one of BuyingFactor, a second needs a first, and the second differs from the first."""
    first, second = first or "", second or ""
    if first and first not in BuyingFactor.values:
        return "buying_factor", _("Unknown buying factor.")
    if second and second not in BuyingFactor.values:
        return "buying_factor_second", _("Unknown buying factor.")
    if second and not first:
        return "buying_factor", _("Choose the primary buying factor before the second.")
    if second and second == first:
        return "buying_factor_second", _("The second buying factor must differ from the primary one.")
    return None

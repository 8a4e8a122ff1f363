"""The errors of selling: every refusal of a sales rule is a `SalesError` (a `DomainError`,
so pages, the API and commands show its translated `message` as it is)."""

from kehu.core.errors import DomainError


class SalesError(DomainError):
    """A selling rule was broken; `message` is translated and shown to the user."""


class QuoteError(SalesError):
    """A quote rule was broken: a locked quote changed, a lost opportunity linked, a rejection
    without a comment…"""


class LineError(SalesError):
    """A quote or order line is not valid (`kehu.sales.lines.clean_line`). `field` names the
    line form's field it is about ("product", "quantity", "unit_price", "discount_pct",
    "unit_cost"), so a form shows it beside that field; `number` is the line's position
    when the lines were checked together (the message then starts "Line n:")."""

    def __init__(self, message, *, field: str | None = None, number: int | None = None):
        super().__init__(message, field=field, number=number)
        self.field = field
        self.number = number

"""Quote and order lines (DOMAIN.md §5.0): the one place a line is checked and its amounts
computed. The quote and order line forms (`kehu.sales.forms.LineFormMixin`) and the services
(`kehu.sales.services.quotes`, `kehu.finance.services.orders`) all call `clean_line` / `clean_lines`,
so a quote and an order accept exactly the same lines:

- a product that is still sold (`is_active`), priced in the document's currency;
- a quantity above 0 and at most QUANTITY_MAX, to 4 decimals;
- a unit price (empty: the product's list price) from 0 to UNIT_PRICE_MAX, to 4 decimals;
- a discount from 0 to 100 %, to 2 decimals (empty: 0);
- on an order, a unit cost (empty: the product's) from 0 to UNIT_PRICE_MAX, to 4 decimals;
- a line amount (revenue, cost) of at most LINE_AMOUNT_MAX, so that sums of many lines fit.

revenue = round(quantity × unit price × (1 − discount ÷ 100), 2) and cost = round(quantity ×
unit cost, 2), half-up (`line_revenue`, `line_cost`).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.core.money import MONEY_MAX, MoneyError, quantize_cents, to_decimal
from kehu.sales.errors import LineError

HUNDRED = Decimal(100)
QUANTITY_MAX = Decimal("1000000000")  # one billion units
UNIT_PRICE_MAX = Decimal("1000000000")  # one billion per unit
LINE_AMOUNT_MAX = MONEY_MAX  # the largest amount Kehu keeps (kehu.core.money): sums of many lines fit
Q4 = Decimal("0.0001")
Q2 = Decimal("0.01")


def line_revenue(*, quantity, unit_price, discount_pct=0) -> Decimal:
    """round(quantity × unit price × (1 − discount % ÷ 100), 2), half-up."""
    q, p, d = to_decimal(quantity), to_decimal(unit_price), to_decimal(discount_pct)
    return quantize_cents(q * p * (1 - d / HUNDRED))


def line_cost(*, quantity, unit_cost) -> Decimal:
    """round(quantity × unit cost, 2), half-up."""
    return quantize_cents(to_decimal(quantity) * to_decimal(unit_cost))


@dataclass(frozen=True)
class CleanLine:
    """A checked line with its amounts (unit_cost and cost only for an order line)."""

    product: object
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    revenue: Decimal
    unit_cost: Decimal | None = None
    cost: Decimal | None = None


def _number(value, *, field: str, places: Decimal, invalid, decimals) -> Decimal:
    try:
        number = to_decimal(value)
    except (MoneyError, ArithmeticError, TypeError):
        raise LineError(invalid, field=field) from None
    if number.quantize(places) != number:
        raise LineError(decimals, field=field)
    return number.quantize(places)


def _amount(value) -> str:
    """A bound in the messages: 1,000,000,000."""
    return f"{value:,}"


def _price(value, *, field: str, invalid, negative, too_big) -> Decimal:
    price = _number(value, field=field, places=Q4, invalid=invalid,
                    decimals=_("At most 4 decimals."))
    if price < 0:
        raise LineError(negative, field=field)
    if price > UNIT_PRICE_MAX:
        raise LineError(too_big % {"max": _amount(UNIT_PRICE_MAX)}, field=field)
    return price


def clean_line(line: dict, *, currency: str | None = None, kind: str = "quote", with_cost: bool = False) -> CleanLine:
    """Check one line given as a dict (product, quantity, unit_price, discount_pct and, with
    `with_cost`, unit_cost; an empty price or cost is the product's) and compute its amounts.
    `currency`: the quote's or order's (None: not known yet, as in a line form). `kind`:
    "quote" or "order" (the wording of the currency message). Raises LineError."""
    product = line.get("product")
    if product is None:
        raise LineError(_("Choose a product."), field="product")
    if not product.is_active:
        raise LineError(_("%(product)s is no longer sold.") % {"product": product}, field="product")
    if currency is not None and product.currency != currency:
        params = {"product": product, "theirs": product.currency, "ours": currency}
        if kind == "order":
            raise LineError(_("%(product)s is priced in %(theirs)s, the order is in %(ours)s.") % params, field="product")
        raise LineError(_("%(product)s is priced in %(theirs)s, the quote is in %(ours)s.") % params, field="product")

    quantity = _number(line.get("quantity"), field="quantity", places=Q4, invalid=_("Enter a quantity."),
                       decimals=_("At most 4 decimals."))
    if quantity <= 0:
        raise LineError(_("The quantity must be more than zero."), field="quantity")
    if quantity > QUANTITY_MAX:
        raise LineError(_("The quantity is at most %(max)s.") % {"max": _amount(QUANTITY_MAX)}, field="quantity")

    price = line.get("unit_price")
    price = product.list_price if price in (None, "") else _price(
        price, field="unit_price", invalid=_("Enter a unit price."), negative=_("The unit price cannot be negative."),
        too_big=_("The unit price is at most %(max)s."))

    discount = line.get("discount_pct")
    limits = {"min": 0, "max": 100}
    discount = Decimal(0) if discount in (None, "") else _number(
        discount, field="discount_pct", places=Q2, invalid=_("The discount is from %(min)s to %(max)s %%.") % limits,
        decimals=_("At most 2 decimals."))
    if not Decimal(0) <= discount <= HUNDRED:
        raise LineError(_("The discount is from %(min)s to %(max)s %%.") % limits, field="discount_pct")

    revenue = line_revenue(quantity=quantity, unit_price=price, discount_pct=discount)
    too_much = _("The line amount is at most %(max)s.") % {"max": _amount(LINE_AMOUNT_MAX)}
    if revenue > LINE_AMOUNT_MAX:
        raise LineError(too_much, field="quantity")
    if not with_cost:
        return CleanLine(product=product, quantity=quantity, unit_price=price, discount_pct=discount, revenue=revenue)

    unit_cost = line.get("unit_cost")
    unit_cost = product.unit_cost if unit_cost in (None, "") else _price(
        unit_cost, field="unit_cost", invalid=_("Enter a unit cost."), negative=_("The unit cost cannot be negative."),
        too_big=_("The unit cost is at most %(max)s."))
    cost = line_cost(quantity=quantity, unit_cost=unit_cost)
    if cost > LINE_AMOUNT_MAX:
        raise LineError(too_much, field="quantity")
    return CleanLine(product=product, quantity=quantity, unit_price=price, discount_pct=discount, revenue=revenue,
                     unit_cost=unit_cost, cost=cost)


def lines_text(lines) -> str:
    """Lines (anything with product, quantity, unit_price, discount_pct) as one text:
    "P1 × 3 @ 100 −12.5 %; P2 × 1 @ 33.3333" — what the stale-edit guard of the quote form
    compares and shows."""
    def plain(value):
        return format(Decimal(value).normalize(), "f")

    return "; ".join(f"{ln.product.code} × {plain(ln.quantity)} @ {plain(ln.unit_price)}"
                     + (f" −{plain(ln.discount_pct)} %" if ln.discount_pct else "") for ln in lines)


def clean_lines(lines, *, currency: str, kind: str = "quote", with_cost: bool = False) -> list[CleanLine]:
    """Check every line of a quote or order (`clean_line`); the first bad one raises LineError
    naming it ("Line 2: …"). At least one line."""
    result = []
    for number, line in enumerate(lines, start=1):
        try:
            result.append(clean_line(line, currency=currency, kind=kind, with_cost=with_cost))
        except LineError as exc:
            raise LineError(_("Line %(n)d: %(problem)s") % {"n": number, "problem": exc.message},
                            field=exc.field, number=number) from None
    if not result:
        raise LineError(_("An order needs at least one line.") if kind == "order" else _("A quote needs at least one line."))
    return result

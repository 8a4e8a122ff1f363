"""Line amounts (DOMAIN.md §5.0), the one place they are computed."""

from decimal import Decimal

from kehu.core.money import quantize_cents, to_decimal

HUNDRED = Decimal(100)


def line_revenue(*, quantity, unit_price, discount_pct=0) -> Decimal:
    """round(quantity × unit price × (1 − discount % ÷ 100), 2), half-up."""
    q, p, d = to_decimal(quantity), to_decimal(unit_price), to_decimal(discount_pct)
    return quantize_cents(q * p * (1 - d / HUNDRED))


def line_cost(*, quantity, unit_cost) -> Decimal:
    """round(quantity × unit cost, 2), half-up."""
    return quantize_cents(to_decimal(quantity) * to_decimal(unit_cost))

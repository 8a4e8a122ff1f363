"""The demo's key-account spend (the archive's `CategorySpend`) for the share-of-wallet report:
for the 12 customers with the most line revenue last year (ties by code), each of our product
categories gets last year's and this year's spend (timezone.localdate()), made from our own
revenue by a fixed multiple and a fixed growth, so some accounts show a small share of a growing
spend (the opportunities) and others a large one. Deterministic; a row that exists is left as it
is, so a second run changes nothing."""

from decimal import ROUND_HALF_UP, Decimal

CUSTOMERS = 12
MULTIPLES = [Decimal("1.2"), Decimal(3), Decimal("1.5"), Decimal(6), Decimal("1.1")]
GROWTHS = [Decimal(15), Decimal(-5), Decimal(30), Decimal(8), Decimal(0), Decimal(22), Decimal(-12), Decimal(40)]
TEN_THOUSAND = Decimal(10000)
FLOOR = Decimal("100000.00")


def _round(amount: Decimal) -> Decimal:
    return ((amount / TEN_THOUSAND).quantize(Decimal(1), rounding=ROUND_HALF_UP) * TEN_THOUSAND).quantize(Decimal("0.01"))


def demo_wallet() -> None:
    from datetime import date

    from django.db.models import Sum
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.customers.models import CategorySpend, Customer
    from kehu.sales.models import OrderLine, Product

    boss = User.objects.filter(username="boss").first()
    year = timezone.localdate().year
    last = year - 1
    categories = sorted({c.strip() for c in Product.objects.values_list("category", flat=True) if c and c.strip()})
    if not categories:
        return
    top = list(
        OrderLine.objects.filter(order__order_date__gte=date(last, 1, 1), order__order_date__lte=date(last, 12, 31),
                                 order__customer__is_deleted=False)
        .order_by().values("order__customer_id", "order__customer__code").annotate(total=Sum("revenue"))
        .order_by("-total", "order__customer__code")[:CUSTOMERS]
    )
    ids = [row["order__customer_id"] for row in top]
    ours = {
        (row["order__customer_id"], (row["product__category"] or "").strip()): Decimal(row["total"] or 0)
        for row in OrderLine.objects.filter(order__customer_id__in=ids, order__order_date__gte=date(last, 1, 1),
                                            order__order_date__lte=date(last, 12, 31))
        .order_by().values("order__customer_id", "product__category").annotate(total=Sum("revenue"))
    }
    existing = set(CategorySpend.objects.filter(customer_id__in=ids, year__in=[last, year]).values_list("customer_id", "category", "year"))
    now = timezone.now()
    new = []
    n = 0
    for customer in Customer.objects.filter(pk__in=ids).order_by("code"):
        for category in categories:
            multiple, growth = MULTIPLES[n % len(MULTIPLES)], GROWTHS[n % len(GROWTHS)]
            previous = max(_round(ours.get((customer.pk, category), Decimal(0)) * multiple), FLOOR)
            current = _round(previous * (100 + growth) / 100)
            stated = growth if n % 3 == 0 else None  # some rows say their growth; the report computes it from last year's row
            for y, amount, pct in ((last, previous, None), (year, current, stated)):
                if (customer.pk, category, y) not in existing:
                    new.append(CategorySpend(customer=customer, category=category, year=y, annual_spend=amount, growth_pct=pct,
                                             note="demo", updated_by=boss, updated_at=now))
            n += 1
    CategorySpend.objects.bulk_create(new)

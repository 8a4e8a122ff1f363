"""The key fields of each kind of record an event is about, as the webhook's `data` carries them:
the ids and codes an integration matches on, the state that changed, money as decimal strings.
One query per event (all its rows at once); read inside the writer's transaction, so the values
are those being committed."""

from datetime import date, datetime
from decimal import Decimal

from kehu.customers.models import Customer
from kehu.finance.models import Payment
from kehu.sales.models import Opportunity, Quote, SalesOrder


def plain(value):
    """A JSON-able value: Decimal as its string (no float ever), dates in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _rows(qs, fields: dict) -> dict[int, dict]:
    """{id: {name: value}} from `qs.values(*fields.values())`, renamed to the payload's names."""
    out = {}
    for row in qs.values("pk", *fields.values()):
        out[row["pk"]] = {name: plain(row[source]) for name, source in fields.items()}
    return out


def customers(ids) -> dict[int, dict]:
    return _rows(Customer.objects.filter(pk__in=ids), {
        "id": "pk", "code": "code", "name": "name", "kind": "kind", "stage": "stage",
        "owner": "owner_id", "owner_username": "owner__username", "province": "province", "city": "city",
        "industry": "industry", "is_deleted": "is_deleted", "updated_at": "updated_at",
    })


def opportunities(ids) -> dict[int, dict]:
    return _rows(Opportunity.objects.filter(pk__in=ids), {
        "id": "pk", "code": "code", "title": "title", "customer": "customer_id", "customer_code": "customer__code",
        "owner": "owner_id", "stage": "stage__code", "stage_name": "stage__name", "is_won": "stage__is_won",
        "is_closed": "stage__is_closed", "amount": "amount", "currency": "currency",
        "expected_close_on": "expected_close_on", "closed_on": "closed_on", "lost_reason": "lost_reason",
        "updated_at": "updated_at",
    })


def quotes(ids) -> dict[int, dict]:
    return _rows(Quote.objects.filter(pk__in=ids), {
        "id": "pk", "code": "code", "customer": "customer_id", "customer_code": "customer__code",
        "opportunity": "opportunity_id", "owner": "owner_id", "status": "status", "total": "total",
        "currency": "currency", "decided_by": "decided_by_id", "decided_at": "decided_at",
    })


def orders(ids) -> dict[int, dict]:
    return _rows(SalesOrder.objects.filter(pk__in=ids), {
        "id": "pk", "code": "code", "customer": "customer_id", "customer_code": "customer__code",
        "owner": "owner_id", "contract": "contract_id", "status": "status", "order_date": "order_date",
        "currency": "currency",
    })


def payments(ids) -> dict[int, dict]:
    return _rows(Payment.objects.filter(pk__in=ids), {
        "id": "pk", "code": "code", "customer": "customer_id", "customer_code": "customer__code",
        "contract": "contract_id", "seq": "seq", "receivable": "receivable_id", "paid_on": "paid_on",
        "amount": "amount", "currency": "currency", "on_account": "on_account",
    })


BUILDERS = {"customer": customers, "opportunity": opportunities, "quote": quotes, "order": orders, "payment": payments}


def payload_rows(object_type: str, ids) -> dict[int, dict]:
    build = BUILDERS.get(object_type)
    if build is None:
        return {pk: {"id": pk} for pk in ids}
    return build(list(ids))

"""The rows of an export, as a user may see them (DATASET.md columns, as text).

Each function starts from the visibility scope (`user` None: everything, as an
administrator), runs one query per file — related rows come through joins or one
subquery, never a query per row — and streams the rows in chunks, so 100,000 customers
never sit in memory together. The format has no sensitive column (ID numbers and bank
accounts are not part of it); a file that adds one masks it with
`kehu.customers.selectors.mask(value, user=user)`.
"""

from collections.abc import Iterator

from django.db.models import Case, CharField, F, OuterRef, Q, Subquery, Value, When

from kehu.accounts.models import Team, User
from kehu.accounts.visibility import sees_all, visible_users
from kehu.activities.models import Activity
from kehu.customers.models import Contact, Customer
from kehu.dataset.values import format_amount, format_datetime
from kehu.sales.models import Product

CHUNK = 2000


def _customers(user):
    return Customer.objects.alive() if user is None else Customer.objects.visible_to(user)


def export_users(*, user) -> Iterator[list[str]]:
    """The users `user` may see, and the owners of the customers they see."""
    qs = User.objects.all()
    if user is not None and not sees_all(user):
        qs = qs.filter(Q(pk__in=visible_users(user).values("pk")) | Q(pk__in=_customers(user).values("owner_id")))
    managed: dict[int, list[str]] = {}
    through = Team.managers.through.objects.filter(user_id__in=qs.filter(role=User.Role.MANAGER).values("pk"))
    for user_id, team in through.order_by("team__name").values_list("user_id", "team__name"):
        managed.setdefault(user_id, []).append(team)
    for pk, username, name, role, team in qs.order_by("username").values_list("pk", "username", "name", "role", "team__name").iterator(chunk_size=CHUNK):
        teams = ";".join(managed.get(pk, [])) if role == User.Role.MANAGER else (team or "")
        yield [username, name, role, teams]


def export_customers(*, user) -> Iterator[list[str]]:
    visible = _customers(user)
    referrer = Subquery(visible.filter(pk=OuterRef("referrer_customer_id")).values("code")[:1])
    rows = (
        visible.annotate(referrer_code=referrer)
        .order_by("code")
        .values_list(
            "code", "name", "kind", "owner__username", "stage", "lead_source", "referrer_code", "province", "city",
            "industry", "phone", "uscc", "influence", "reputation", "credit_limit", "fund_status", "payment_attitude",
            "created_at",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        (code, name, kind, owner, stage, source, referrer_code, province, city, industry, phone, uscc,
         influence, reputation, credit_limit, fund_status, attitude, created_at) = row
        yield [
            code, name, kind, owner or "", stage, source, referrer_code or "", province, city, industry, phone, uscc,
            "" if influence is None else str(influence), "" if reputation is None else str(reputation),
            format_amount(credit_limit), fund_status, attitude, format_datetime(created_at),
        ]


def export_contacts(*, user) -> Iterator[list[str]]:
    qs = Contact.objects.filter(is_deleted=False, customer__is_deleted=False) if user is None else Contact.objects.visible_to(user)
    rows = qs.order_by("customer__code", "name", "id").values_list(
        "customer__code", "name", "title", "department", "decision_role", "phone", "email", "wechat", "birth_date",
    )
    for *cells, birthday in rows.iterator(chunk_size=CHUNK):
        yield [*cells, birthday.isoformat() if birthday else ""]


def export_products(*, user) -> Iterator[list[str]]:
    """The catalogue is not customer data: everyone who may export sees it whole."""
    rows = Product.objects.order_by("code").values_list("code", "name", "category", "list_price", "unit_cost")
    for code, name, category, list_price, unit_cost in rows.iterator(chunk_size=CHUNK):
        yield [code, name, category, format_amount(list_price), format_amount(unit_cost)]


def export_activities(*, user) -> Iterator[list[str]]:
    """Logged follow-ups of the customers `user` sees, with the due date of the next step each
    planned. Planned follow-ups made without a log, and outcomes, are not part of the format."""
    logged = Activity.objects.filter(status=Activity.Status.DONE, at__isnull=False)
    qs = logged.filter(customer__is_deleted=False) if user is None else logged.visible_to(user)
    next_due = Activity.objects.filter(planned_by=OuterRef("pk")).order_by("id").values("due_on")[:1]
    contact = Case(When(contact__is_deleted=False, then=F("contact__name")), default=Value(""), output_field=CharField())
    rows = (
        qs.annotate(next_due=Subquery(next_due), contact_name=contact)
        .order_by("customer__code", "at", "id")
        .values_list("customer__code", "contact_name", "owner__username", "kind", "visit_level", "at", "summary", "next_due")
    )
    for code, contact_name, owner, kind, level, at, summary, due in rows.iterator(chunk_size=CHUNK):
        yield [code, contact_name or "", owner, kind, level, format_datetime(at), summary, due.isoformat() if due else ""]


# --- selling (opportunities, orders, order lines, contracts) ----------------------------------

def _scoped(model, user):
    """A customer-scoped model's rows: those of the customers `user` sees (None: every live customer)."""
    return model.objects.filter(customer__is_deleted=False) if user is None else model.objects.visible_to(user)


def export_opportunities(*, user) -> Iterator[list[str]]:
    from kehu.sales.models import Opportunity

    rows = _scoped(Opportunity, user).order_by("code").values_list(
        "code", "customer__code", "owner__username", "title", "stage__code", "probability", "amount", "expected_close_on",
        "forecast_category", "buying_factor", "created_at", "closed_on", "lost_reason",
    )
    for code, customer, owner, title, stage, prob, amount, expected, forecast, factor, created, closed, lost in rows.iterator(chunk_size=CHUNK):
        yield [
            code, customer, owner, title, stage, "" if prob is None else str(prob), format_amount(amount),
            expected.isoformat() if expected else "", forecast, factor, format_datetime(created),
            closed.isoformat() if closed else "", lost,
        ]


def export_orders(*, user) -> Iterator[list[str]]:
    from kehu.sales.models import SalesOrder

    rows = _scoped(SalesOrder, user).order_by("code").values_list("code", "customer__code", "owner__username", "order_date", "currency")
    for code, customer, owner, order_date, currency in rows.iterator(chunk_size=CHUNK):
        yield [code, customer, owner or "", order_date.isoformat(), currency]


def export_order_lines(*, user) -> Iterator[list[str]]:
    """In order code then id order: the position of a line in its order is its import key."""
    from kehu.sales.models import OrderLine

    from kehu.accounts.visibility import customer_scope

    # The scope joined through the order (not `order IN (subquery)`: PostgreSQL may run such a
    # subquery once per line).
    if user is None:
        qs = OrderLine.objects.filter(order__customer__is_deleted=False)
    else:
        qs = OrderLine.objects.filter(customer_scope(user, prefix="order__customer"))
    rows = qs.order_by("order__code", "id").values_list("order__code", "product__code", "quantity", "unit_price", "discount_pct", "unit_cost")
    for order, product, quantity, unit_price, discount, unit_cost in rows.iterator(chunk_size=CHUNK):
        yield [order, product, _number(quantity), format_amount(unit_price), _number(discount), format_amount(unit_cost)]


def export_contracts(*, user) -> Iterator[list[str]]:
    from kehu.sales.models import Contract

    rows = _scoped(Contract, user).order_by("code").values_list(
        "code", "customer__code", "opportunity__code", "signed_on", "amount", "payment_term_days",
    )
    for code, customer, opportunity, signed_on, amount, term in rows.iterator(chunk_size=CHUNK):
        yield [code, customer, opportunity or "", signed_on.isoformat(), format_amount(amount), "" if term is None else str(term)]


def _number(value) -> str:
    """A quantity or percentage without trailing zeros (16, 12.5)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- collections (instalments, payments, quality losses) --------------------------------------

def export_instalments(*, user) -> Iterator[list[str]]:
    from kehu.finance.models import Instalment

    qs = Instalment.objects.filter(contract__customer__is_deleted=False) if user is None else Instalment.objects.visible_to(user)
    rows = qs.order_by("contract__code", "seq").values_list("contract__code", "seq", "due_on", "amount")
    for contract, seq, due_on, amount in rows.iterator(chunk_size=CHUNK):
        yield [contract, str(seq), due_on.isoformat(), format_amount(amount)]


def export_payments(*, user) -> Iterator[list[str]]:
    from kehu.finance.models import Payment

    rows = (_scoped(Payment, user).filter(reversed_at__isnull=True).order_by("code")  # a reversed payment (红冲) counts nowhere
            .values_list("code", "customer__code", "contract__code", "seq", "paid_on", "amount"))
    for code, customer, contract, seq, paid_on, amount in rows.iterator(chunk_size=CHUNK):
        yield [code, customer, contract or "", "" if seq is None else str(seq), paid_on.isoformat(), format_amount(amount)]


def export_quality_losses(*, user) -> Iterator[list[str]]:
    from kehu.finance.models import QualityLoss

    rows = _scoped(QualityLoss, user).order_by("customer__code", "occurred_on", "id").values_list("customer__code", "occurred_on", "amount", "note")
    for customer, occurred_on, amount, note in rows.iterator(chunk_size=CHUNK):
        yield [customer, occurred_on.isoformat(), format_amount(amount), note]

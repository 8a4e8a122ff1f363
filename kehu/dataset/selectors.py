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

"""The walker: every URL pattern of config.urls, for every role, proves the visibility rule.

DOMAIN.md §1 (docs/visibility.md): a rep sees own and pool customers; a manager their
teams' (manager_a: team A; director: A and B; manager_b, made here: B); finance all but
cannot edit sales data; admin all. A record in the recycle bin is seen by nobody (the admin
restores it from the recycle bin). Not visible answers 404, never 403 — for every page and
every API endpoint.

The walker reads the URL resolver, so a route added tomorrow is tested tomorrow:
- every route with a `pk` is requested with the id of rep_a's / rep_b's / the pool's
  customer or contact — which one is decided by the path segment right before `<pk>`
  (`customers/<pk>/contacts/new/` takes a customer, `contacts/<pk>/edit/` a contact);
- a segment it does not know, a keyword it cannot fill, or an unnamed route FAILS the walk:
  teach the walker (OBJECT_KINDS, a fixture object owned by rep_a) when you add a new kind
  of record, so that nobody adds a page and forgets its scope;
- every route but the few PUBLIC ones sends an anonymous visitor to the login page (the
  API answers 401, issue 14; API_PAGES under /api/ are pages for people and send to the login).
"""

import re
from decimal import Decimal
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kehu.activities.models import Activity, Notification
from kehu.core.models import AuditEvent
from kehu.customers.models import ArchiveSection, CategorySpend, Contact, Customer, PoolEvent
from kehu.customers.models import QualificationCheck
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.finance.models import CreditEvent, Instalment, Payment, Receivable, WriteOff
from kehu.sales.models import Contract, OpportunityStage, OrderLine, Product, Quote, QuoteLine, SalesOrder
from kehu.sales.models import Opportunity

# Namespaces that guard themselves and are not customer-scoped: Django's admin lets only
# staff in (see test_non_staff_is_sent_to_the_admin_login).
SELF_GUARDED_NAMESPACES = {"admin"}
# Routes an anonymous visitor may reach: name -> what they get on GET.
PUBLIC = {
    "accounts:login": {200},
    "accounts:logout": {405, 302},  # POST only
    "accounts:language": {405, 302},  # POST only; anonymous visitors get a cookie
    "home": {302},  # redirects to the customer list, which asks for a login
    "favicon": {301},  # the icon, for browsers and the admin that ask for /favicon.ico
}
# Pages for people under /api/ (issue 14): they send an anonymous visitor to the login page, not 401.
API_PAGES = {"api:docs"}
# Keywords that only select a rendering (DRF format suffixes): such a route duplicates another.
IGNORED_KWARGS = {"format"}
# The segment before <pk> -> the kind of record the pk names.
OBJECT_KINDS = {
    "customers": "customer", "contacts": "contact", "spend": "spend", "notifications": "notification", "opportunities": "opportunity",
    "quotes": "quote", "contracts": "contract", "orders": "order", "receivables": "receivable",
    "payments": "payment", "runs": "run",
    "lines": "opportunity",  # planning/forecast/lines/<pk>/: a line of the forecast grid is an opportunity
    "submissions": "submission", "adjust": "submission",  # a rep's forecast: scoped by the rep, not a customer
    "subscriptions": "webhook", "deliveries": "webhook-delivery",  # integrations/webhooks/…: admin only
    # issue 14 (apifin): api/ranking-runs/<pk>/, api/forecasts/<pk>/, api/targets/<pk>/
    "ranking-runs": "run", "forecasts": "submission", "targets": "target",
    "activities": "activity", "followups": "activity",  # issue 14 (apiact): a follow-up, scoped by its customer
    "products": "product", "users": "user", "teams": "team",  # issue 14 (apiact): not reached through a customer
    "jobs": "job",  # issue 15 (bgjobs): a background job, its starter's own (an admin sees all)
}
# Kinds of records not reached through a customer (issue 14, apiact): the product catalogue (every
# signed-in user), users and teams (visible_users and the teams of them). Their scope is pinned in
# kehu/api/tests/test_apiact_customer_ops.py; here only the login comes first.
UNSCOPED_KINDS = {"product", "user", "team"}
# A background job (issue 15, bgjobs) is scoped by the user who started it, not a customer: pinned in
# kehu/core/tests/test_bgjobs_jobs.py (test_a_user_sees_only_their_own_jobs_and_an_admin_every_job).
UNSCOPED_KINDS |= {"job"}
# Kinds of company-wide records: not owned through a customer, so everyone signed in may open
# them, but every customer row they show must be one the user may see (an evaluation run
# ranks every customer; a rep's view of it lists their own). Tested apart below.
COMPANY_WIDE_KINDS = {"run"}
# Kinds of records scoped by the person they belong to (kehu.planning.querysets): a rep's forecast
# submission is seen by the rep, the managers of their team, the director and finance. Tested apart
# below (test_users_who_may_not_see_a_reps_forecast_get_404).
PERSON_SCOPED_KINDS = {"submission", "target"}
# Kinds of company-wide settings only the admin opens (kehu.integrations: webhooks and their
# deliveries); everyone else gets 403 as on the other settings pages. Tested apart below.
ADMIN_ONLY_KINDS = {"webhook", "webhook-delivery"}
# URL keywords besides <pk> that name no record (the record is still the pk's): a valid value.
KWARG_VALUES = {"section": ArchiveSection.Section.PRODUCTION_SCALE}
# The calendar feed's secret key (activities:calendar-feed, issue 14) names no record: the route
# is the key owner's alone, and a wrong key is 404 for everyone (kehu/activities/tests/test_apitok_feed.py).
KWARG_VALUES["key"] = "not-a-key"
# GET routes on which the owner of a live record may still get 404, and why.
OWNER_MAY_GET_404 = {
    "customers:restore": "restores records in the recycle bin only",
}
WRITE_METHODS_API = ("post", "put", "patch", "delete")
NOT_VISIBLE = {404, 405}  # 405: the method is refused before anything is looked up


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    kwargs: tuple

    @property
    def is_api(self) -> bool:
        return self.route.lstrip("^").startswith("api/")

    @property
    def kind(self) -> str | None:
        """'customer' or 'contact' for a pk route, from the path segment before the pk."""
        if "pk" not in self.kwargs:
            return None
        match = re.search(r"<(?:\w+:)?pk>|\(\?P<pk>", self.route)
        before = re.sub(r"[\^$\\]", "", self.route[: match.start()])
        segments = [s for s in before.split("/") if s]
        return OBJECT_KINDS.get(segments[-1] if segments else "")

    @property
    def ends_at_pk(self) -> bool:
        """The record's own page / endpoint (nothing after the pk)."""
        return bool(re.search(r"(<(?:\w+:)?pk>|\(\?P<pk>[^)]*\))/?\$?$", self.route))

    def __str__(self):
        return self.name or self.route


def _kwarg_names(pattern) -> set:
    if hasattr(pattern, "converters"):  # RoutePattern (path())
        return set(pattern.converters)
    return set(getattr(pattern, "regex").groupindex)  # RegexPattern (re_path())


def walk(patterns, prefix="", namespace="", kwargs=frozenset()):
    for p in patterns:
        names = kwargs | _kwarg_names(p.pattern)
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            if p.namespace in SELF_GUARDED_NAMESPACES:
                continue
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns, names)
        elif isinstance(p, URLPattern):
            if names & IGNORED_KWARGS:
                continue
            yield Route(prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else None, tuple(sorted(names)))


ROUTES = list(walk(get_resolver().url_patterns))
PK_ROUTES = [r for r in ROUTES if "pk" in r.kwargs]
SCOPED_PK_ROUTES = [r for r in PK_ROUTES if r.kind and r.kind not in COMPANY_WIDE_KINDS | PERSON_SCOPED_KINDS | ADMIN_ONLY_KINDS | UNSCOPED_KINDS]
ADMIN_ONLY_ROUTES = [r for r in PK_ROUTES if r.kind in ADMIN_ONLY_KINDS]
PERSON_SCOPED_ROUTES = [r for r in PK_ROUTES if r.kind in PERSON_SCOPED_KINDS]
COMPANY_WIDE_ROUTES = [r for r in PK_ROUTES if r.kind in COMPANY_WIDE_KINDS]
PLAIN_ROUTES = [r for r in ROUTES if not r.kwargs and r.name]


# --- the cast and the records ----------------------------------------------------------------

@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(cast, team_b):
    from kehu.accounts.models import User

    manager_b = User.objects.create_user(username="manager_b", password="x-walker-1", role="manager", name="manager_b")
    team_b.managers.add(manager_b)
    users = {k: v for k, v in cast.items() if not k.startswith(("customer", "pool"))} | {"manager_b": manager_b}
    records = {}
    product = Product.objects.create(code="PWALK", name="走查产品", list_price="1000.00", unit_cost="600.00")
    # A code no page prints by chance (help texts show examples such as C00001).
    Customer.objects.filter(pk=cast["customer_a"].pk).update(code="WALKA1")
    cast["customer_a"].refresh_from_db()
    for key, contact_name in (("customer_a", "走查联系人甲"), ("customer_b", "走查联系人乙"), ("pool_customer", "走查联系人池")):
        customer = cast[key]
        records[key] = {"customer": customer, "contact": Contact.objects.create(customer=customer, name=contact_name, phone="13911112222")}
        records[key]["spend"] = CategorySpend.objects.create(
            customer=customer, category="走查品类", year=2024, annual_spend="1000.00", updated_at=customer.created_at)
        records[key]["notification"] = Notification.objects.create(
            user=cast["rep_b"] if key == "customer_b" else cast["rep_a"], kind="followup_due", fact_key=f"walker:{key}", customer=customer)
        records[key]["activity"] = Activity.objects.create(  # a planned follow-up: /api/activities/ and /api/followups/
            customer=customer, owner=customer.owner or cast["manager_a"], kind="phone", status="planned", due_on="2099-01-01")
        records[key]["opportunity"] = Opportunity.objects.create(
            code=f"OWALK{key}", customer=customer, owner=customer.owner or cast["manager_a"], title="走查商机",
            stage=OpportunityStage.objects.get(code="proposal"), amount="1000.00")
        owner = customer.owner or cast["manager_a"]
        quote = Quote.objects.create(code=f"QWALK{key}", customer=customer, owner=owner, opportunity=records[key]["opportunity"],
                                     status=Quote.Status.PENDING, total="900.00", max_discount_pct="10.00", allowed_discount_pct="5.00")
        QuoteLine.objects.create(quote=quote, product=product, quantity="1", unit_price="1000.00", discount_pct="10.00", revenue="900.00")
        records[key]["quote"] = quote
        contract = Contract.objects.create(code=f"KWALK{key}", customer=customer, owner=owner, signed_on="2026-01-05", amount="900.00")
        Instalment.objects.create(contract=contract, seq=1, due_on="2026-02-05", amount="900.00")
        records[key]["contract"] = contract
        order = SalesOrder.objects.create(code=f"SWALK{key}", customer=customer, owner=owner, order_date="2026-01-06", status=SalesOrder.Status.BLOCKED)
        OrderLine.objects.create(order=order, product=product, quantity="1", unit_price="1000.00", unit_cost="600.00", revenue="1000.00", cost="600.00")
        records[key]["order"] = order
        records[key]["receivable"] = Receivable.objects.create(
            customer=customer, order=order, amount="1000.00", open_amount="1000.00", issued_on="2026-01-06", due_on="2026-02-05")
        records[key]["payment"] = Payment.objects.create(
            code=f"PWALK{key}", customer=customer, receivable=records[key]["receivable"], paid_on="2026-01-07", amount="1.00")
    Customer.objects.filter(pk=cast["customer_b"].pk).update(code="WALKB1")
    run = EvaluationRun.objects.create(model="pyramid", as_of="2026-06-30", params={"important": "0.01"})
    for position, (key, tier) in enumerate((("customer_a", "important"), ("customer_b", "major"), ("pool_customer", "small"))):
        EvaluationResult.objects.create(
            run=run, customer=cast[key], position=position, rank=position + 1, klass=tier,
            indicators={"profit": "100.00", "sales": "200.00"}, sales="200.00", profit="100.00")
    everyone = set(users)
    return {
        "run": run,
        "users": users,
        "records": records,
        "sees": {
            "customer_a": {"admin", "finance", "director", "manager_a", "rep_a"},
            "customer_b": {"admin", "finance", "director", "manager_b", "rep_b"},
            "pool_customer": everyone,
        },
        "owner": {"customer_a": "rep_a", "customer_b": "rep_b"},
    }


def url_for(route: Route, world, target: str) -> str:
    extra = {k: v for k, v in KWARG_VALUES.items() if k in route.kwargs}
    if route.kind in COMPANY_WIDE_KINDS:
        return reverse(route.name, kwargs={"pk": world[route.kind].pk, **extra})
    return reverse(route.name, kwargs={"pk": world["records"][target][route.kind].pk, **extra})


def page_text(response) -> str:
    """The text a user reads in a response: HTML/JSON/CSV as text, an XLSX workbook's cells."""
    if "spreadsheetml" in response.get("Content-Type", ""):
        import io

        from openpyxl import load_workbook

        content = b"".join(response.streaming_content) if response.streaming else response.content
        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def crafted_payload(world, attacker: str) -> dict:
    """What an attacker posts: changes, a new owner, and their own record as the 'other' side."""
    own = next((r["customer"].pk for k, r in world["records"].items() if world["owner"].get(k) == attacker), None)
    return {
        "name": "WALKER-WAS-HERE", "title": "x", "owner": world["users"][attacker].pk, "code": "HACK", "stage": "vip",
        "reason": "walker", "confirm": "1", "other": own, "merged": own, "kept": own, "target": own,
        "customer": own, "to_user": world["users"][attacker].pk, "customers": own,
    }


def state():
    """Everything a successful write would change (an audit event is written by every service)."""
    return (
        AuditEvent.objects.count(),
        PoolEvent.objects.count(),
        list(Customer.objects.order_by("pk").values_list("pk", "name", "owner_id", "code", "stage", "is_deleted", "merged_into_id", "updated_at")),
        list(Contact.objects.order_by("pk").values_list("pk", "name", "customer_id", "is_deleted", "updated_at")),
        list(ArchiveSection.objects.order_by("pk").values_list("pk", "customer_id", "text", "updated_at")),
        list(CategorySpend.objects.order_by("pk").values_list("pk", "customer_id", "category", "year", "annual_spend", "updated_at")),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
        list(Activity.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(Opportunity.objects.order_by("pk").values_list("pk", "title", "owner_id", "stage_id", "probability", "lost_reason", "updated_at")),
        list(Quote.objects.order_by("pk").values_list("pk", "status", "total", "updated_at")),
        list(Contract.objects.order_by("pk").values_list("pk", "amount", "updated_at")),
        list(Instalment.objects.order_by("pk").values_list("pk", "amount", "applied", "due_on")),
        list(SalesOrder.objects.order_by("pk").values_list("pk", "status", "shipped_on", "updated_at")),
        list(Receivable.objects.order_by("pk").values_list("pk", "open_amount", "written_off")),
        Payment.objects.count(), CreditEvent.objects.count(), WriteOff.objects.count(), QualificationCheck.objects.count(),
    )


def request(client, method: str, url: str, route: Route, payload=None, **extra):
    call = getattr(client, method)
    if method == "get":
        return call(url, **extra)
    if route.is_api:
        return call(url, payload or {}, content_type="application/json", **extra)
    if method == "post":
        return call(url, {k: v for k, v in (payload or {}).items() if v is not None}, **extra)
    return call(url, **extra)


def methods(route: Route):
    return ("get",) + (WRITE_METHODS_API if route.is_api else ("post",))


# --- the walker knows every route --------------------------------------------------------------

def test_walker_finds_the_customer_and_contact_routes():
    names = {r.name for r in PK_ROUTES}
    assert {"customers:detail", "customers:edit", "customers:contact-edit", "api:customer-detail", "api:contact-detail"} <= names
    assert {"customers:list", "api:customer-list"} <= {r.name for r in PLAIN_ROUTES}
    kinds = {r.name: r.kind for r in PK_ROUTES}
    assert kinds["customers:contact-create"] == "customer"  # customers/<pk>/contacts/new/
    assert kinds["customers:contact-edit"] == "contact"  # customers/contacts/<pk>/edit/
    assert kinds["api:customer-contacts"] == "customer"
    assert kinds["api:contact-detail"] == "contact"
    assert {r.name for r in PK_ROUTES if r.ends_at_pk} >= {"customers:detail", "api:customer-detail", "api:contact-detail"}




def test_every_route_is_named_and_every_keyword_is_known():
    unnamed = [r.route for r in ROUTES if not r.name]
    assert not unnamed, f"name these routes so the walker can build their URL: {unnamed}"
    unknown = [f"{r}: {sorted(set(r.kwargs) - {'pk'} - set(KWARG_VALUES))}" for r in ROUTES if set(r.kwargs) - {"pk"} - set(KWARG_VALUES)]
    assert not unknown, f"the walker cannot fill these URL keywords; teach it (and scope the view): {unknown}"
    untyped = [f"{r} ({r.route})" for r in PK_ROUTES if r.kind is None]
    assert not untyped, (
        f"the walker does not know what record these <pk> routes name; add the path segment to OBJECT_KINDS "
        f"and a record owned by rep_a to the `world` fixture: {untyped}"
    )


# --- not visible: 404 for every method, and nothing changes ------------------------------------

@pytest.mark.parametrize("route", SCOPED_PK_ROUTES, ids=str)
def test_users_who_may_not_see_a_record_get_404_and_change_nothing(route, world, client):
    before = state()
    failures = []
    for target in ("customer_a", "customer_b"):
        url = url_for(route, world, target)
        for who, user in world["users"].items():
            if who in world["sees"][target]:
                continue
            client.force_login(user)
            for method in methods(route):
                response = request(client, method, url, route, crafted_payload(world, who))
                if response.status_code not in NOT_VISIBLE:
                    failures.append(f"{who} {method.upper()} {url} -> {response.status_code}")
    assert not failures, "a user who may not see the record must get 404:\n" + "\n".join(failures)
    assert state() == before, "a refused request changed data"


@pytest.mark.parametrize("route", SCOPED_PK_ROUTES, ids=str)
def test_htmx_requests_cannot_tell_hidden_from_missing(route, world, client):
    """An htmx fragment may answer 200 for a row that is gone; it must answer the same for a hidden one."""
    client.force_login(world["users"]["rep_b"])
    hidden = url_for(route, world, "customer_a")
    missing = re.sub(r"/\d+/", "/987654321/", hidden, count=1)
    before = state()
    for method in methods(route):
        seen = request(client, method, hidden, route, crafted_payload(world, "rep_b"), HTTP_HX_REQUEST="true")
        none = request(client, method, missing, route, crafted_payload(world, "rep_b"), HTTP_HX_REQUEST="true")
        assert seen.status_code == none.status_code, f"{method.upper()} {hidden}: {seen.status_code} vs missing {none.status_code}"
    assert state() == before


@pytest.mark.parametrize("route", SCOPED_PK_ROUTES, ids=str)
def test_nobody_sees_a_record_in_the_recycle_bin(route, world, client):
    Customer.objects.filter(pk=world["records"]["customer_a"]["customer"].pk).update(is_deleted=True)
    url = url_for(route, world, "customer_a")
    before = state()
    failures = []
    for who, user in world["users"].items():
        if who == "admin":
            continue  # the admin restores it from the recycle bin
        client.force_login(user)
        for method in methods(route):
            response = request(client, method, url, route, crafted_payload(world, who))
            if response.status_code not in NOT_VISIBLE:
                failures.append(f"{who} {method.upper()} {url} -> {response.status_code}")
    assert not failures, "\n".join(failures)
    assert state() == before


# --- visible: the record's page answers ----------------------------------------------------------

@pytest.mark.parametrize("route", [r for r in SCOPED_PK_ROUTES if r.ends_at_pk], ids=str)
def test_users_who_may_see_a_record_get_its_page(route, world, client):
    failures = []
    for target in ("customer_a", "customer_b", "pool_customer"):
        url = url_for(route, world, target)
        for who in sorted(world["sees"][target]):
            client.force_login(world["users"][who])
            status = client.get(url).status_code
            if status != 200:
                failures.append(f"{who} GET {url} -> {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("route", SCOPED_PK_ROUTES, ids=str)
def test_rep_a_never_gets_404_on_own_customer(route, world, client):
    if route.name in OWNER_MAY_GET_404:
        pytest.skip(OWNER_MAY_GET_404[route.name])
    client.force_login(world["users"]["rep_a"])
    url = url_for(route, world, "customer_a")
    assert client.get(url).status_code != 404, url


# Routes on which finance writes on purpose (DOMAIN.md §1: credit and collections), and what it does.
FINANCE_WRITES = {
    "finance:order-release": "releases an order held by credit control, with a reason",
    "finance:payment-reverse": "reverses a payment recorded in error (红冲), with a reason",
    "api:payment-reverse": "reverses a payment recorded in error (红冲), with a reason",
    "api:order-release": "releases an order held by credit control, with a reason",  # issue 14 (apisell)
}


# Routes of a user's own records (issue 14, apiact): another user's notification is 404, for finance too.
PERSONAL_ROUTES = {"api:notification-read": "marks the user's own notification read"}


@pytest.mark.parametrize("route", [r for r in SCOPED_PK_ROUTES if r.name not in FINANCE_WRITES | PERSONAL_ROUTES.keys()], ids=str)
def test_finance_sees_but_changes_no_sales_data(route, world, client):
    finance = world["users"]["finance"]
    client.force_login(finance)
    before = state()
    for target in ("customer_a", "customer_b", "pool_customer"):
        url = url_for(route, world, target)
        if route.ends_at_pk:
            assert client.get(url).status_code == 200, url
        for method in methods(route)[1:]:
            response = request(client, method, url, route, crafted_payload(world, "finance"))
            if route.is_api:
                # 403: may not; 405: no such method; 400: a rule refuses first (claiming an owned customer)
                assert response.status_code in {400, 403, 405}, f"{method.upper()} {url} -> {response.status_code}"
    assert state() == before, "finance changed sales data"


# --- lists, searches and forms never show what a user may not see ------------------------------

@pytest.mark.parametrize("route", PLAIN_ROUTES, ids=str)
def test_pages_without_an_id_never_show_a_hidden_customer(route, world, client):
    hidden = world["records"]["customer_a"]
    needles = [hidden["customer"].name, hidden["customer"].code, hidden["contact"].name]
    for who in ("rep_b", "rep_a2", "manager_b"):
        client.force_login(world["users"][who])
        for params in ({}, {"q": "华为"}, {"q": hidden["customer"].code}, {"q": "hwjs"}, {"q": hidden["contact"].name}):
            body = page_text(client.get(reverse(route.name), params))
            shown = [n for n in needles if n in body and n not in params.values()]  # a search box echoes its query
            assert not shown, f"{who} GET {route} {params} shows {shown}"


# --- company-wide records (an evaluation run): open to all, rows scoped -------------------------

def test_the_walker_knows_the_company_wide_routes():
    assert all(r.kind == "run" for r in COMPANY_WIDE_ROUTES)
    assert not [r for r in SCOPED_PK_ROUTES if r.kind in COMPANY_WIDE_KINDS]


@pytest.mark.parametrize("route", COMPANY_WIDE_ROUTES, ids=str)
def test_company_wide_records_list_only_customers_the_user_may_see(route, world, client):
    failures = []
    for target in ("customer_a", "customer_b"):
        hidden = world["records"][target]["customer"]
        for who, user in world["users"].items():
            if who in world["sees"][target]:
                continue
            client.force_login(user)
            for params in ({}, {"class": "important"}, {"class": "major"}, {"all": "1"}):
                response = client.get(url_for(route, world, target), params)
                if response.status_code >= 500:
                    failures.append(f"{who} GET {route} {params} -> {response.status_code}")
                    continue
                body = page_text(response)
                shown = [n for n in (hidden.name, hidden.code) if n in body]
                if shown:
                    failures.append(f"{who} GET {route} {params} shows {shown}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("route", COMPANY_WIDE_ROUTES, ids=str)
def test_company_wide_records_show_the_users_own_customers(route, world, client):
    client.force_login(world["users"]["rep_a"])
    response = client.get(url_for(route, world, "customer_a"))
    assert response.status_code in {200, 302}, response.status_code
    if route.ends_at_pk:
        if route.is_api:  # the API's run carries its class table; its rows are under results/
            response = client.get(url_for(route, world, "customer_a") + "results/")
        assert world["records"]["customer_a"]["customer"].code in page_text(response)


# --- signed-out and disabled users -----------------------------------------------------------------

def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0] == reverse(settings.LOGIN_URL)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name and (r.kind or not r.kwargs)], ids=str)
def test_anonymous_is_sent_to_login(route, world, client):
    if route.kind in PERSON_SCOPED_KINDS | ADMIN_ONLY_KINDS | UNSCOPED_KINDS:
        url = reverse(route.name, kwargs={"pk": 1})  # the login comes before any lookup
    else:
        url = url_for(route, world, "customer_a") if route.kind else reverse(route.name)
    if route.name in PUBLIC:
        assert client.get(url).status_code in PUBLIC[route.name]
        return
    before = state()
    answers = {m: request(client, m, url, route, {"name": "anonymous"}) for m in methods(route)}
    if route.is_api and route.name not in API_PAGES:
        assert {r.status_code for r in answers.values()} <= {401, 405}, {m: r.status_code for m, r in answers.items()}
        assert any(r.status_code == 401 for r in answers.values())
    else:
        assert all(_is_login_redirect(r) or r.status_code == 405 for r in answers.values()), {
            m: (r.status_code, r.get("Location")) for m, r in answers.items()
        }
        assert any(_is_login_redirect(r) for r in answers.values())
    assert state() == before


def test_disabled_rep_is_signed_out_everywhere(world, client):
    rep_a = world["users"]["rep_a"]
    client.force_login(rep_a)
    rep_a.is_active = False
    rep_a.save()
    customer = world["records"]["customer_a"]["customer"]
    assert _is_login_redirect(client.get(reverse("customers:detail", kwargs={"pk": customer.pk})))
    assert client.get(reverse("api:customer-detail", kwargs={"pk": customer.pk})).status_code == 401


def test_non_staff_is_sent_to_the_admin_login(world, client):
    for who in ("rep_b", "manager_a", "director", "finance"):
        client.force_login(world["users"][who])
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), who


# --- a rep's forecast: scoped by the rep --------------------------------------------------------

def test_walker_finds_the_forecast_routes():
    assert {r.name for r in PERSON_SCOPED_ROUTES} >= {"planning:submission-detail", "planning:adjust"}
    assert {r.name: r.kind for r in SCOPED_PK_ROUTES}["planning:forecast-line"] == "opportunity"


@pytest.mark.parametrize("route", [r for r in PERSON_SCOPED_ROUTES if r.kind == "submission"], ids=str)
def test_users_who_may_not_see_a_reps_forecast_get_404(route, world, client):
    from datetime import date

    from kehu.planning.models import ForecastAdjustment, ForecastSubmission

    users = world["users"]
    sees = {
        "rep_a": {"admin", "finance", "director", "manager_a", "rep_a"},
        "rep_b": {"admin", "finance", "director", "manager_b", "rep_b"},
    }
    failures = []
    for rep, seen_by in sees.items():
        submission = ForecastSubmission.objects.create(
            user=users[rep], period="2026-06", period_start=date(2026, 6, 1), period_end=date(2026, 6, 30),
            submitted_on=date(2026, 6, 4), commit="1000.00", best_case="2000.00")
        url = reverse(route.name, kwargs={"pk": submission.pk})
        before = (ForecastSubmission.objects.count(), ForecastAdjustment.objects.count(), state())
        for who, user in users.items():
            client.force_login(user)
            for method in methods(route):
                payload = {"commit": "1.00", "best_case": "2.00", "note": "walker"}
                response = request(client, method, url, route, payload)
                if who not in seen_by and response.status_code not in NOT_VISIBLE:
                    failures.append(f"{who} {method.upper()} {url} -> {response.status_code}")
                if who in seen_by and method == "get" and response.status_code == 404:
                    failures.append(f"{who} may see {rep}'s forecast but GET {url} -> 404")
        after = (ForecastSubmission.objects.count(), ForecastAdjustment.objects.filter(note="walker").exclude(
            created_by__username__in=["admin", "director", "manager_a", "manager_b"]).count(), state())
        assert after[0] == before[0], "a request created or removed a submission"
        assert after[1] == 0, "someone who may not adjust adjusted"
    assert not failures, "a user who may not see a rep's forecast must get 404:\n" + "\n".join(failures)


@pytest.mark.parametrize("route", [r for r in PERSON_SCOPED_ROUTES if r.kind == "target"], ids=str)
def test_users_who_may_not_see_a_reps_target_get_404(route, world, client):
    """issue 14 (apifin): a rep's target is seen by the rep, their managers, the director and finance."""
    from kehu.planning.models import Target

    users = world["users"]
    sees = {"rep_a": {"admin", "finance", "director", "manager_a", "rep_a"},
            "rep_b": {"admin", "finance", "director", "manager_b", "rep_b"}}
    failures = []
    for rep, seen_by in sees.items():
        target = Target.objects.create(scope="user", user=users[rep], year=2026, amount="100.00")
        url = reverse(route.name, kwargs={"pk": target.pk})
        for who, user in users.items():
            client.force_login(user)
            for method in methods(route):
                response = request(client, method, url, route, {"amount": "1.00"})
                if who not in seen_by and response.status_code not in NOT_VISIBLE:
                    failures.append(f"{who} {method.upper()} {url} -> {response.status_code}")
                if who in seen_by and method == "get" and response.status_code == 404:
                    failures.append(f"{who} may see {rep}'s target but GET {url} -> 404")
        target.refresh_from_db()
        assert target.amount == Decimal("100.00"), "a request changed a target"
    assert not failures, "a user who may not see a rep's target must get 404:\n" + "\n".join(failures)


# --- admin-only settings with ids (webhooks) -------------------------------------------------------

def test_walker_finds_the_webhook_routes():
    assert {r.name for r in ADMIN_ONLY_ROUTES} >= {"integrations:subscription-edit", "integrations:delivery-detail",
                                                    "integrations:delivery-replay"}


@pytest.mark.parametrize("route", ADMIN_ONLY_ROUTES, ids=str)
def test_only_the_admin_opens_a_webhook_or_a_delivery(route, world, client):
    from kehu.core.events import DomainEvent
    from kehu.integrations import services as hooks_services
    from kehu.integrations.models import WebhookDelivery, WebhookSubscription

    users = world["users"]
    sub = hooks_services.subscription_create(actor=users["admin"], url="http://127.0.0.1:9/walker", event_types=["customer.created"])
    hooks_services.events_write(DomainEvent(type="customer.created", object_type="customer",
                                            object_ids=(world["records"]["customer_a"]["customer"].pk,)))
    delivery = WebhookDelivery.objects.get()
    url = reverse(route.name, kwargs={"pk": sub.pk if route.kind == "webhook" else delivery.pk})
    snapshot = lambda: (list(WebhookSubscription.objects.values_list("pk", "url", "secret", "event_types", "is_active")),  # noqa: E731
                        WebhookDelivery.objects.count(), state())
    before = snapshot()
    failures = []
    for who, user in users.items():
        if who == "admin":
            continue
        client.force_login(user)
        for method in methods(route):
            response = request(client, method, url, route, crafted_payload(world, who))
            if response.status_code not in {403, 404, 405}:
                failures.append(f"{who} {method.upper()} {url} -> {response.status_code}")
    assert not failures, "only the admin may open the webhook settings:\n" + "\n".join(failures)
    assert snapshot() == before
    if route.ends_at_pk:
        client.force_login(users["admin"])
        assert client.get(url).status_code == 200

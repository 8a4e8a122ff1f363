"""orders.csv: ★code, ★customer, owner, ★order_date, currency (default CNY);
order_lines.csv: ★order, ★product, ★quantity, ★unit_price, discount_pct (default 0),
unit_cost (default: the product's).

Order lines have no code. A line is known by its order and its position among that order's
lines in the file (file order; the first line of SO1 is line 1 of SO1 wherever it stands),
matched against the order's stored lines in id order. When any line of an order differs, or
the number of lines does, the order's lines are all replaced (deleted and inserted again in
file order, so positions stay stable); an order whose lines all match is left alone. An
order with a bad line keeps its stored lines (with --skip-bad, a warning says so). Revenue
and cost are computed by kehu.sales.lines, the one place they are. Lines are written with
executemany inserts in batches, with one lookup query per chunk of 2,000 rows.
"""

import re

from django.utils.translation import gettext as _

from kehu.core.models import AuditEvent
from kehu.dataset.importers.base import CREATE, CodedImporter, Importer, Row, UNCHANGED, UPDATE, chunked, insert_rows, update_rows
from kehu.dataset.importers.customers import parse_code
from kehu.dataset.importers.opportunities import check_owned_row, customer_ids, event
from kehu.dataset.values import CellError, parse_date, parse_money
from kehu.sales.lines import line_cost, line_revenue
from kehu.sales.models import OrderLine, Product, SalesOrder


def parse_currency(value: str) -> str:
    text = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise CellError(_("“%(value)s” is not a currency code such as CNY.") % {"value": value})
    return text


class OrderImporter(CodedImporter):
    file = "orders.csv"
    columns = ["code", "customer", "owner", "order_date", "currency"]
    required = ["code", "customer", "order_date"]

    def parse(self, row: Row) -> dict:
        return {
            "code": row.parse("code", parse_code),
            "customer": row.get("customer"),
            "owner": row.get("owner"),
            "order_date": row.parse("order_date", parse_date),
            "currency": row.parse("currency", parse_currency) or "CNY",
        }

    def _existing(self, codes) -> dict[str, dict]:
        found = {}
        for batch in chunked(set(codes)):
            for o in SalesOrder.objects.filter(code__in=batch).values("id", "code", "customer_id", "customer__owner_id", "owner_id", "order_date", "currency"):
                found[o["code"]] = o
        return found

    @staticmethod
    def _values(v, cid, uid) -> dict:
        return {"customer_id": cid, "owner_id": uid, "order_date": v["order_date"], "currency": v["currency"]}

    @staticmethod
    def _changes(old, values) -> dict:
        return {k: [old[k], new] for k, new in values.items() if old[k] != new}

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        customers = customer_ids(v["customer"] for _r, v in parsed if v["customer"])
        owners = {code: owner_id for code, (_pk, owner_id) in customers.items()}
        existing = self._existing(v["code"] for _r, v in parsed if v["code"])
        users = self.ctx.users()
        checked: dict[str, str | None] = {}
        for row, v in parsed:
            code = v["code"]
            old = check_owned_row(
                self, row, v, owners=owners, existing=existing, sellers=checked,
                refusal=_("The code %(code)s belongs to an order of a customer you may not change."),
            )
            if row.bad:
                continue
            if old is None:
                row.action = CREATE
                continue
            uid = (users.get(v["owner"]) or {}).get("id") if v["owner"] else None
            values = self._values(v, customers.get(v["customer"], (None,))[0], uid)
            row.action = UPDATE if self._changes(old, values) else UNCHANGED

    def write(self, rows: list[Row]) -> None:
        now = self.ctx.now
        actor_id = self.ctx.actor.pk if self.ctx.actor is not None else None
        parsed = [self.parse(row) for row in rows]
        customers = customer_ids(v["customer"] for v in parsed)
        users = self.ctx.users()
        existing = self._existing(v["code"] for v in parsed)
        created, updated, events = [], [], []
        fields: set[str] = set()
        for v in parsed:
            cid = customers[v["customer"]][0]
            values = self._values(v, cid, users[v["owner"]]["id"] if v["owner"] else None)
            old = existing.get(v["code"])
            self.ctx.revenue_customers.add(cid)  # its revenue summary, refreshed at the end of the import
            if old is not None:
                self.ctx.revenue_customers.add(old["customer_id"])  # the order may move to another customer
            if old is None:
                created.append(SalesOrder(code=v["code"], created_at=now, updated_at=now, **values))
                continue
            changes = self._changes(old, values)
            fields.update(changes)
            updated.append(SalesOrder(id=old["id"], code=v["code"], updated_at=now, **values))
            events.append(event(actor_id, "salesorder", old["id"], v["code"], cid, changes, self.file))
        insert_rows(SalesOrder, created)
        if updated:
            update_rows(SalesOrder, updated, sorted(fields | {"updated_at"}))
        if created:
            ids = {}
            for batch in chunked([o.code for o in created]):
                ids.update(SalesOrder.objects.filter(code__in=batch).values_list("code", "id"))
            for o in created:
                events.append(event(actor_id, "salesorder", ids[o.code], o.code, o.customer_id,
                                    {k: [None, getattr(o, k)] for k in ("order_date", "currency")}, self.file))
        insert_rows(AuditEvent, events)


LINE_FIELDS = ("product_id", "quantity", "unit_price", "discount_pct", "unit_cost")


class OrderLineImporter(Importer):
    file = "order_lines.csv"
    columns = ["order", "product", "quantity", "unit_price", "discount_pct", "unit_cost"]
    required = ["order", "product", "quantity", "unit_price"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.position: dict[int, int] = {}  # file line -> position of the line in its order (1, 2, …)
        self.count: dict[str, int] = {}  # order code -> its lines in the file
        self.stored: dict[str, int] = {}  # order code -> its stored lines
        self.replace: set[str] = set()  # orders whose lines differ: all are rewritten
        self.lines_of: dict[str, list[int]] = {}
        self.cleared: set[str] = set()
        self.broken: set[str] = set()  # orders with a bad line: left as they are
        self._products: dict[str, tuple[int, object]] | None = None

    def products(self) -> dict[str, tuple[int, object]]:
        """{code: (id, unit cost)}: the catalogue, loaded once (it is small), again after products.csv wrote."""
        if self._products is None:
            self._products = {code: (pk, cost) for code, pk, cost in Product.objects.values_list("code", "id", "unit_cost")}
        return self._products

    def scan(self, row: Row) -> None:
        order = row.get("order")
        self.count[order] = self.count.get(order, 0) + 1
        self.position[row.line] = self.count[order]

    def parse(self, row: Row) -> dict:
        return {
            "order": row.get("order"),
            "product": row.get("product"),
            "quantity": row.parse("quantity", parse_money, places=4),
            "unit_price": row.parse("unit_price", parse_money, places=4),
            "discount_pct": row.parse("discount_pct", parse_money, places=2),
            "unit_cost": row.parse("unit_cost", parse_money, places=4),
        }

    def _orders(self, codes) -> dict[str, dict]:
        found = {}
        for batch in chunked(set(codes)):
            for o in SalesOrder.objects.filter(code__in=batch).values("id", "code", "customer__owner_id"):
                found[o["code"]] = o
        return found

    def _stored_lines(self, order_ids) -> dict[int, list[tuple]]:
        found: dict[int, list[tuple]] = {}
        for batch in chunked(set(order_ids)):
            for order_id, *values in OrderLine.objects.filter(order_id__in=batch).order_by("order_id", "id").values_list("order_id", *LINE_FIELDS):
                found.setdefault(order_id, []).append(tuple(values))
        return found

    def _line(self, v: dict, product) -> tuple:
        pid, default_cost = product
        return (pid, v["quantity"], v["unit_price"], v["discount_pct"] if v["discount_pct"] is not None else 0,
                v["unit_cost"] if v["unit_cost"] is not None else default_cost)

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        orders = self._orders(v["order"] for _r, v in parsed if v["order"])
        stored = self._stored_lines(o["id"] for o in orders.values())
        planned_orders = self.ctx.planned.get("orders.csv", set())
        planned_products = self.ctx.planned.get("products.csv", set())
        products = self.products()
        for row, v in parsed:
            code = v["order"]
            if code in orders:
                if not self.ctx.may_manage_owner(orders[code]["customer__owner_id"]) and code not in planned_orders:
                    row.error("order", _("No order with the code “%(value)s”.") % {"value": code})
            elif code and code not in planned_orders:
                row.error("order", _("No order with the code “%(value)s”.") % {"value": code})
            if v["product"] and v["product"] not in products and v["product"] not in planned_products:
                row.error("product", _("No product with the code “%(value)s”.") % {"value": v["product"]})
            if v["discount_pct"] is not None and v["discount_pct"] > 100:
                row.error("discount_pct", _("A discount is a percentage from 0 to 100."))
            if row.bad:
                self.broken.add(code)
                continue
            self.lines_of.setdefault(code, []).append(row.line)
            old_lines = stored.get(orders[code]["id"], []) if code in orders else []
            self.stored[code] = len(old_lines)
            position = self.position[row.line]
            if position > len(old_lines):
                row.action = CREATE
                self.replace.add(code)
            elif v["product"] not in products or self._line(v, products[v["product"]]) != old_lines[position - 1]:
                row.action = UPDATE
                self.replace.add(code)
            else:
                row.action = UNCHANGED

    def finish_check(self) -> None:
        for code, count in self.count.items():
            if code in self.stored and count != self.stored[code]:
                self.replace.add(code)
        for code in self.broken:
            if code in self.lines_of:
                self.add_warning(None, "order", _("Order %(code)s has a bad line: its lines were left as they are.") % {"code": code})
            self.replace.discard(code)
            for line in self.lines_of.pop(code, []):
                self.actions[line] = UNCHANGED
        for code in self.replace:
            stored = self.stored.get(code, 0)
            for line in self.lines_of.get(code, []):
                self.actions[line] = UPDATE if self.position[line] <= stored else CREATE
        self.lines_of = {}

    def write(self, rows: list[Row]) -> None:
        parsed = [self.parse(row) for row in rows]
        self._products = None if any(v["product"] not in self.products() for v in parsed) else self._products
        products = self.products()
        order_ids = {}
        for batch in chunked({v["order"] for v in parsed}):
            for code, pk, customer_id in SalesOrder.objects.filter(code__in=batch).values_list("code", "id", "customer_id"):
                order_ids[code] = pk
                self.ctx.revenue_customers.add(customer_id)  # its revenue summary, refreshed at the end of the import
        to_clear = [order_ids[c] for c in {v["order"] for v in parsed} - self.cleared]
        for batch in chunked(to_clear):
            OrderLine.objects.filter(order_id__in=batch).delete()
        self.cleared.update(v["order"] for v in parsed)
        lines = []
        for v in parsed:
            pid, quantity, unit_price, discount, unit_cost = self._line(v, products[v["product"]])
            lines.append(OrderLine(
                order_id=order_ids[v["order"]], product_id=pid, quantity=quantity, unit_price=unit_price, discount_pct=discount,
                unit_cost=unit_cost, revenue=line_revenue(quantity=quantity, unit_price=unit_price, discount_pct=discount),
                cost=line_cost(quantity=quantity, unit_cost=unit_cost),
            ))
        insert_rows(OrderLine, lines)

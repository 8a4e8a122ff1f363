"""contacts.csv: ★customer, ★name, title, department, decision_role, phone, email, wechat, birthday.

Rows are matched by customer code + contact name. The customer is one already in Kehu
(that the importer may change) or a good row of customers.csv in the same import.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer
from kehu.customers.normalize import normalize_phone
from kehu.dataset.choices import DECISION_ROLE

from kehu.dataset.importers.base import (
    CREATE, LOOKUP, UNCHANGED, UPDATE, PreparedImporter, Row, among, chunked, insert_rows, plain, update_rows,
)
from kehu.dataset.values import CellError, parse_date, parse_text

TEXT = {"title": 100, "department": 100, "phone": 50, "wechat": 64}
FIELD = {"birthday": "birth_date"}


def parse_email(value: str) -> str:
    value = parse_text(value, max_length=254)
    try:
        validate_email(value)
    except ValidationError:
        raise CellError(_("“%(value)s” is not an email address.") % {"value": value}) from None
    return value


class ContactImporter(PreparedImporter):
    file = "contacts.csv"
    search_kind = "contact"
    columns = ["customer", "name", "title", "department", "decision_role", "phone", "email", "wechat", "birthday"]
    required = ["customer", "name"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.first_key: dict[tuple[str, str], int] = {}
        # self.prepared (PreparedImporter): {line: values} of each row to write.

    def scan(self, row: Row) -> None:
        self.first_key.setdefault((row.get("customer"), row.get("name")), row.line)

    def planned_key(self, row: Row):
        """activities.csv names a contact by customer code + name."""
        return (row.get("customer"), row.get("name"))

    def parse(self, row: Row) -> dict:
        v = {"customer": row.get("customer"), "name": row.parse("name", parse_text, max_length=100)}
        for column in self.header_set:
            if column in v:
                continue
            if column in TEXT:
                v[column] = row.parse(column, parse_text, max_length=TEXT[column]) or ""
            elif column == "decision_role":
                v[column] = row.parse(column, DECISION_ROLE.parse) or ""
            elif column == "email":
                v[column] = row.parse(column, parse_email) or ""
            elif column == "birthday":
                v[column] = row.parse(column, parse_date)
        return v

    def _existing(self, codes) -> dict[tuple[str, str], list[dict]]:
        found: dict[tuple[str, str], list[dict]] = {}
        for batch in chunked(set(codes), LOOKUP):
            code_of = dict(Customer.objects.filter(among(Customer, "code", batch)).values_list("id", "code"))
            qs = Contact.objects.filter(among(Contact, "customer", list(code_of)), is_deleted=False).values(
                "id", "customer_id", "name", "title", "department", "decision_role", "phone", "email", "wechat", "birth_date",
            )
            for c in qs:
                found.setdefault((code_of[c["customer_id"]], c["name"]), []).append(c)
        return found

    @staticmethod
    def _changes(old: dict, v: dict) -> dict:
        changes = {}
        for column, new in v.items():
            if column in ("customer", "name"):
                continue
            before = old[FIELD.get(column, column)]
            if before != new:
                changes[column] = [before, new]
        return changes

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        codes = {v["customer"] for _r, v in parsed if v["customer"]}
        customers = {}
        for batch in chunked(codes, LOOKUP):
            for code, owner_id in Customer.objects.alive().filter(among(Customer, "code", batch)).values_list("code", "owner_id"):
                customers[code] = owner_id
        planned = self.ctx.planned.get("customers.csv", set())
        existing = self._existing(codes)
        for row, v in parsed:
            code = v["customer"]
            if not code or row.bad:
                continue
            key = (code, row.get("name"))
            if self.first_key.get(key) != row.line:
                row.error("name", _("Customer %(code)s has a contact named %(name)s on line %(line)d already.") % {"code": code, "name": v["name"], "line": self.first_key[key]})
                continue
            if code not in planned:
                if code not in customers or not self.ctx.may_manage_owner(customers[code]):
                    row.error("customer", _("No customer with the code “%(value)s”.") % {"value": code})
                    continue
            olds = existing.get(key, [])
            if len(olds) > 1:
                row.error("name", _("Customer %(code)s has several contacts named %(name)s; rename one of them first.") % {"code": code, "name": v["name"]})
                continue
            row.action = CREATE if not olds else (UPDATE if self._changes(olds[0], v) else UNCHANGED)
            if row.action != UNCHANGED and not self.ctx.report.dry_run:
                self.prepared[row.line] = v

    def write(self, rows: list[Row]) -> None:
        """Write rows read again from the file (the check pass must have judged them good)."""
        self.write_values([self.parse(row) for row in rows])

    def write_values(self, parsed: list[dict]) -> None:
        now = self.ctx.now
        actor_id = self.ctx.actor.pk if self.ctx.actor is not None else None
        codes = {v["customer"] for v in parsed}
        customer_ids = {}
        for batch in chunked(codes, LOOKUP):
            customer_ids.update(Customer.objects.filter(among(Customer, "code", batch)).values_list("code", "id"))
        existing = self._existing(codes)
        created, updates, events = [], [], []
        update_fields: set[str] = set()
        for v in parsed:
            olds = existing.get((v["customer"], v["name"]))
            values = {FIELD.get(k, k): val for k, val in v.items() if k != "customer"}
            if not olds:
                contact = Contact(customer_id=customer_ids[v["customer"]], **values)
                contact.phone_normalized = normalize_phone(contact.phone)
                created.append((contact, v))
                continue
            old = olds[0]
            changes = self._changes(old, v)
            contact = Contact(id=old["id"], customer_id=old["customer_id"], **values)
            contact.phone_normalized = normalize_phone(contact.phone)
            contact.updated_at = now
            update_fields.update(FIELD.get(k, k) for k in changes)
            if "phone" in changes:
                update_fields.add("phone_normalized")
            updates.append(contact)
            events.append(AuditEvent(
                actor_id=actor_id, verb=AuditEvent.Verb.IMPORT, object_type="contact", object_id=old["id"],
                object_label=v["name"][:255], customer_id=old["customer_id"],
                changes={k: [plain(a), plain(b)] for k, (a, b) in changes.items()}, note=self.file,
            ))
        insert_rows(Contact, [c for c, _v in created])
        if updates:
            # Every update carries all of the file's columns, so updating the union is exact.
            update_rows(Contact, updates, sorted(update_fields | {"updated_at"}))
        ids = {}
        if created:
            new_ids = {c.customer_id for c, _v in created}
            for batch in chunked(new_ids, LOOKUP):
                for pk, customer_id, name in (Contact.objects.filter(among(Contact, "customer", batch), is_deleted=False)
                                              .values_list("id", "customer_id", "name")):
                    ids[(customer_id, name)] = max(pk, ids.get((customer_id, name), 0))
        if self._search_index is not None:
            self._search_index.add(ids[(contact.customer_id, contact.name)] for contact, _v in created)
        for contact, v in created:
            pk = ids[(contact.customer_id, contact.name)]
            events.append(AuditEvent(
                actor_id=actor_id, verb=AuditEvent.Verb.IMPORT, object_type="contact", object_id=pk,
                object_label=contact.name[:255], customer_id=contact.customer_id,
                changes={k: [None, plain(val)] for k, val in v.items() if val not in ("", None) and k != "customer"},
                note=self.file,
            ))
        insert_rows(AuditEvent, events)

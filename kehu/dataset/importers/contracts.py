"""contracts.csv: ★code, ★customer, opportunity, ★signed_date, ★amount, payment_term_days.

The opportunity (a code, optional) is one in Kehu or a good row of opportunities.csv; when it
is already in Kehu it must belong to the same customer. A contract's owner is its customer's
owner when it is first imported (commission follows who sold it); a later import leaves it.
"""

from django.utils.translation import gettext as _

from kehu.core.models import AuditEvent
from kehu.dataset.importers.base import CREATE, CodedImporter, Row, UNCHANGED, UPDATE, chunked, insert_rows, update_rows
from kehu.dataset.importers.customers import parse_code
from kehu.dataset.importers.opportunities import check_customer, customer_ids, event
from kehu.dataset.values import parse_date, parse_int, parse_money
from kehu.sales.models import Contract, Opportunity

FIELDS = ["customer_id", "opportunity_id", "signed_on", "amount", "payment_term_days"]


class ContractImporter(CodedImporter):
    file = "contracts.csv"
    columns = ["code", "customer", "opportunity", "signed_date", "amount", "payment_term_days"]
    required = ["code", "customer", "signed_date", "amount"]

    def parse(self, row: Row) -> dict:
        return {
            "code": row.parse("code", parse_code),
            "customer": row.get("customer"),
            "opportunity": row.get("opportunity"),
            "signed_on": row.parse("signed_date", parse_date),
            "amount": row.parse("amount", parse_money),
            "payment_term_days": row.parse("payment_term_days", parse_int, low=0, high=3650),
        }

    def _existing(self, codes) -> dict[str, dict]:
        found = {}
        for batch in chunked(set(codes)):
            for c in Contract.objects.filter(code__in=batch).values("id", "code", "customer__owner_id", *FIELDS):
                found[c["code"]] = c
        return found

    @staticmethod
    def _opportunities(codes) -> dict[str, tuple[int, int]]:
        found = {}
        for batch in chunked(set(codes)):
            for code, pk, customer_id in Opportunity.objects.filter(code__in=batch).values_list("code", "id", "customer_id"):
                found[code] = (pk, customer_id)
        return found

    @staticmethod
    def _values(v, cid, oid) -> dict:
        return {"customer_id": cid, "opportunity_id": oid, "signed_on": v["signed_on"], "amount": v["amount"],
                "payment_term_days": v["payment_term_days"]}

    @staticmethod
    def _changes(old, values) -> dict:
        return {k: [old[k], new] for k, new in values.items() if old[k] != new}

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        customers = customer_ids(v["customer"] for _r, v in parsed if v["customer"])
        owners = {code: owner_id for code, (_pk, owner_id) in customers.items()}
        opps = self._opportunities(v["opportunity"] for _r, v in parsed if v["opportunity"])
        planned_opps = self.ctx.planned.get("opportunities.csv", set())
        existing = self._existing(v["code"] for _r, v in parsed if v["code"])
        for row, v in parsed:
            code = v["code"]
            self.check_code_once(row, code)
            check_customer(self, row, v["customer"], owners)
            opp = v["opportunity"]
            if opp and opp not in planned_opps:
                if opp not in opps:
                    row.error("opportunity", _("No opportunity with the code “%(value)s”.") % {"value": opp})
                elif v["customer"] in customers and opps[opp][1] != customers[v["customer"]][0]:
                    row.error("opportunity", _("Opportunity %(value)s belongs to another customer.") % {"value": opp})
            old = existing.get(code)
            if old is not None and not self.ctx.may_manage_owner(old["customer__owner_id"]):
                row.error("code", _("The code %(code)s belongs to a contract of a customer you may not change.") % {"code": code})
            if row.bad:
                continue
            if old is None:
                row.action = CREATE
                continue
            values = self._values(v, customers.get(v["customer"], (None,))[0], opps.get(opp, (None,))[0] if opp else None)
            row.action = UPDATE if self._changes(old, values) else UNCHANGED

    def write(self, rows: list[Row]) -> None:
        now = self.ctx.now
        actor_id = self.ctx.actor.pk if self.ctx.actor is not None else None
        parsed = [self.parse(row) for row in rows]
        customers = customer_ids(v["customer"] for v in parsed)
        opps = self._opportunities(v["opportunity"] for v in parsed if v["opportunity"])
        existing = self._existing(v["code"] for v in parsed)
        created, updated, events = [], [], []
        fields: set[str] = set()
        for v in parsed:
            cid, owner_id = customers[v["customer"]]
            values = self._values(v, cid, opps[v["opportunity"]][0] if v["opportunity"] else None)
            old = existing.get(v["code"])
            if old is None:
                created.append(Contract(code=v["code"], owner_id=owner_id, created_at=now, updated_at=now, **values))
                continue
            changes = self._changes(old, values)
            fields.update(changes)
            updated.append(Contract(id=old["id"], code=v["code"], updated_at=now, **values))
            events.append(event(actor_id, "contract", old["id"], v["code"], cid, changes, self.file))
        insert_rows(Contract, created)
        if updated:
            update_rows(Contract, updated, sorted(fields | {"updated_at"}))
        if created:
            ids = {}
            for batch in chunked([c.code for c in created]):
                ids.update(Contract.objects.filter(code__in=batch).values_list("code", "id"))
            for c in created:
                events.append(event(actor_id, "contract", ids[c.code], c.code, c.customer_id,
                                    {k: [None, getattr(c, k)] for k in ("signed_on", "amount")}, self.file))
        insert_rows(AuditEvent, events)

"""payments.csv: ★code, ★customer, contract, seq, ★paid_date, ★amount.

Rows are matched by code. The customer is one in Kehu that the importer may change or a good
row of customers.csv; the contract (optional) is one of that customer's contracts in Kehu or
a good row of contracts.csv; seq (optional, needs a contract) an instalment of it in Kehu or
in instalments.csv. After writing, every payment of the contracts touched is applied again
from scratch in date order (DOMAIN.md §5.0) — in memory, written in bulk — so importing the
same file twice changes nothing; a payment without a contract stays on account.
"""

from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.dataset.importers.base import CREATE, CodedImporter, Row, UNCHANGED, UPDATE, chunked, insert_rows, plain, update_rows
from kehu.dataset.importers.customers import parse_code
from kehu.dataset.importers.instalments import contract_rows, reapply_and_refresh
from kehu.core.models import AuditEvent
from kehu.dataset.values import parse_date, parse_int, parse_money
from kehu.finance.lifecycle import customer_lifecycle_refresh
from kehu.finance.models import Instalment, Payment

FIELDS = ["customer_id", "contract_id", "seq", "paid_on", "amount"]


def customer_rows(codes) -> dict[str, tuple[int, int | None]]:
    found = {}
    for batch in chunked(set(codes)):
        for code, pk, owner_id in Customer.objects.alive().filter(code__in=batch).values_list("code", "id", "owner_id"):
            found[code] = (pk, owner_id)
    return found


def event(actor_id, pk: int, label: str, customer_id: int, changes: dict, note: str) -> AuditEvent:
    return AuditEvent(
        actor_id=actor_id, verb=AuditEvent.Verb.IMPORT, object_type="payment", object_id=pk, object_label=label[:255],
        customer_id=customer_id, changes={k: [plain(a), plain(b)] for k, (a, b) in changes.items()}, note=note,
    )


class PaymentImporter(CodedImporter):
    file = "payments.csv"
    columns = ["code", "customer", "contract", "seq", "paid_date", "amount"]
    required = ["code", "customer", "paid_date", "amount"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.touched_contracts: set[int] = set()
        self.touched_customers: set[int] = set()

    def parse(self, row: Row) -> dict:
        return {
            "code": row.parse("code", parse_code),
            "customer": row.get("customer"),
            "contract": row.get("contract"),
            "seq": row.parse("seq", parse_int, low=1, high=32767),
            "paid_on": row.parse("paid_date", parse_date),
            "amount": row.parse("amount", parse_money),
        }

    @staticmethod
    def _existing(codes) -> dict[str, dict]:
        found = {}
        for batch in chunked(set(codes)):
            for p in Payment.objects.filter(code__in=batch).values("id", "code", "customer__owner_id", "reversed_at", *FIELDS):
                found[p["code"]] = p
        return found

    @staticmethod
    def _seqs(contract_ids) -> set[tuple[int, int]]:
        found = set()
        for batch in chunked(set(contract_ids)):
            found.update(Instalment.objects.filter(contract_id__in=batch).values_list("contract_id", "seq"))
        return found

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        customers = customer_rows(v["customer"] for _r, v in parsed if v["customer"])
        contracts = contract_rows(v["contract"] for _r, v in parsed if v["contract"])
        seqs = self._seqs(c["id"] for c in contracts.values())
        planned_customers = self.ctx.planned.get("customers.csv", set())
        planned_contracts = self.ctx.planned.get("contracts.csv", set())
        planned_instalments = self.ctx.planned.get("instalments.csv", set())
        existing = self._existing(v["code"] for _r, v in parsed if v["code"])
        for row, v in parsed:
            code, ccode, kcode, seq = v["code"], v["customer"], v["contract"], v["seq"]
            self.check_code_once(row, code)
            if v["amount"] is not None and v["amount"] <= 0:
                row.error("amount", _("A payment amount must be positive."))
            if ccode and ccode not in planned_customers:
                if ccode not in customers or not self.ctx.may_manage_owner(customers[ccode][1]):
                    row.error("customer", _("No customer with the code “%(value)s”.") % {"value": ccode})
            contract = contracts.get(kcode)
            if kcode and kcode not in planned_contracts:
                if contract is None or not self.ctx.may_manage_owner(contract["customer__owner_id"]):
                    row.error("contract", _("No contract with the code “%(value)s”.") % {"value": kcode})
                elif ccode in customers and contract["customer_id"] != customers[ccode][0]:
                    row.error("contract", _("Contract %(value)s belongs to another customer.") % {"value": kcode})
            if seq is not None:
                if not kcode:
                    row.error("seq", _("An instalment number needs the contract it belongs to."))
                elif (kcode, seq) not in planned_instalments and not (contract and (contract["id"], seq) in seqs):
                    row.error("seq", _("Contract %(code)s has no instalment %(seq)s.") % {"code": kcode, "seq": seq})
            old = existing.get(code)
            if old is not None and not self.ctx.may_manage_owner(old["customer__owner_id"]):
                row.error("code", _("The code %(code)s belongs to a payment of a customer you may not change.") % {"code": code})
            if row.bad:
                continue
            if old is None:
                row.action = CREATE
                continue
            if old["reversed_at"] is not None:  # reversed (红冲): an import never brings it back
                row.action = UNCHANGED
                continue
            values = self._values(v, customers.get(ccode, (None,))[0], contract["id"] if contract else None)
            row.action = UPDATE if self._changes(old, values) else UNCHANGED

    @staticmethod
    def _values(v, customer_id, contract_id) -> dict:
        return {"customer_id": customer_id, "contract_id": contract_id, "seq": v["seq"], "paid_on": v["paid_on"], "amount": v["amount"]}

    @staticmethod
    def _changes(old, values) -> dict:
        return {k: [old[k], new] for k, new in values.items() if old[k] != new}

    def write(self, rows: list[Row]) -> None:
        now = self.ctx.now
        actor_id = self.ctx.actor.pk if self.ctx.actor is not None else None
        parsed = [self.parse(row) for row in rows]
        customers = customer_rows(v["customer"] for v in parsed)
        contracts = contract_rows(v["contract"] for v in parsed if v["contract"])
        existing = self._existing(v["code"] for v in parsed)
        created, updated, events = [], [], []
        fields: set[str] = {"on_account", "updated_at"}
        for v in parsed:
            cid = customers[v["customer"]][0]
            kid = contracts[v["contract"]]["id"] if v["contract"] else None
            values = self._values(v, cid, kid)
            self.touched_customers.add(cid)
            if kid:
                self.touched_contracts.add(kid)
            old = existing.get(v["code"])
            # on_account is the whole amount until the contract's payments are applied again.
            if old is None:
                created.append(Payment(code=v["code"], on_account=v["amount"], created_at=now, updated_at=now, **values))
                continue
            changes = self._changes(old, values)
            fields.update(changes)
            if old["contract_id"]:
                self.touched_contracts.add(old["contract_id"])
            self.touched_customers.add(old["customer_id"])
            updated.append(Payment(id=old["id"], code=v["code"], on_account=v["amount"], updated_at=now, **values))
            events.append(event(actor_id, old["id"], v["code"], cid, changes, self.file))
        insert_rows(Payment, created)
        if updated:
            update_rows(Payment, updated, sorted(fields))
            # A payment that left its contract keeps no allocation.
            from kehu.finance.models import PaymentAllocation

            PaymentAllocation.objects.filter(payment_id__in=[u.id for u in updated if u.contract_id is None]).delete()
        if created:
            ids = {}
            for batch in chunked([p.code for p in created]):
                ids.update(Payment.objects.filter(code__in=batch).values_list("code", "id"))
            for p in created:
                events.append(event(actor_id, ids[p.code], p.code, p.customer_id,
                                    {k: [None, getattr(p, k)] for k in ("paid_on", "amount")}, self.file))
        insert_rows(AuditEvent, events)

    def finish_write(self) -> None:
        reapply_and_refresh(self.touched_contracts, actor=self.ctx.actor)
        for batch in chunked(sorted(self.touched_customers)):
            customer_lifecycle_refresh(customer_ids=batch, actor=self.ctx.actor)

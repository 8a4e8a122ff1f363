"""instalments.csv: ★contract, ★seq (1, 2, …), ★due_date, ★amount.

Rows are matched by contract code + seq. The contract is one in Kehu (of a customer the
importer may change) or a good row of contracts.csv in the same import. A plan whose
instalments do not add up to the contract's amount is imported with a warning (the
example always adds up; other CRMs' exports may not). After writing, the payments of the
contracts touched are applied again from scratch (DOMAIN.md §5.0) and the lifecycle of
their customers refreshed (§3).
"""

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.dataset.importers.base import CREATE, UNCHANGED, UPDATE, Importer, Issue, Row, chunked, insert_rows, update_rows
from kehu.dataset.importers.customers import parse_code
from kehu.dataset.values import parse_date, parse_int, parse_money
from kehu.finance.lifecycle import customer_lifecycle_refresh
from kehu.finance.models import Instalment, PaymentAllocation
from kehu.finance.services import contracts_reapply
from kehu.sales.models import Contract


def contract_rows(codes) -> dict[str, dict]:
    """{code: {id, customer_id, owner_id, amount}} of the contracts with these codes."""
    found = {}
    for batch in chunked(set(codes)):
        for c in Contract.objects.filter(code__in=batch).values("id", "code", "customer_id", "customer__owner_id", "amount"):
            found[c["code"]] = c
    return found


def reapply_and_refresh(contract_ids, *, actor) -> None:
    """§5.0 again for the contracts, then §3 for their customers (in batches)."""
    contract_ids = sorted(set(contract_ids))
    customers = set()
    for batch in chunked(contract_ids, 500):
        contracts_reapply(contract_ids=batch)
        customers.update(Contract.objects.filter(pk__in=batch).values_list("customer_id", flat=True))
    for batch in chunked(sorted(customers)):
        customer_lifecycle_refresh(customer_ids=batch, actor=actor)


class InstalmentImporter(Importer):
    file = "instalments.csv"
    columns = ["contract", "seq", "due_date", "amount"]
    required = ["contract", "seq", "due_date", "amount"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.first_key: dict[tuple[str, str], int] = {}
        self.file_plans: dict[str, dict[int, Decimal]] = defaultdict(dict)
        self.touched: set[int] = set()
        self._warned: set[int] = set()

    def scan(self, row: Row) -> None:
        self.first_key.setdefault((row.get("contract"), row.get("seq")), row.line)

    def planned_key(self, row: Row):
        """payments.csv names an instalment by contract code + seq."""
        try:
            return (row.get("contract"), int(row.get("seq")))
        except ValueError:
            return None

    def parse(self, row: Row) -> dict:
        return {
            "contract": row.parse("contract", parse_code),
            "seq": row.parse("seq", parse_int, low=1, high=32767),
            "due_on": row.parse("due_date", parse_date),
            "amount": row.parse("amount", parse_money),
        }

    @staticmethod
    def _existing(contract_ids) -> dict[tuple[int, int], dict]:
        found = {}
        for batch in chunked(set(contract_ids)):
            for i in Instalment.objects.filter(contract_id__in=batch).values("id", "contract_id", "seq", "due_on", "amount"):
                found[(i["contract_id"], i["seq"])] = i
        return found

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        contracts = contract_rows(v["contract"] for _r, v in parsed if v["contract"])
        planned = self.ctx.planned.get("contracts.csv", set())
        existing = self._existing(c["id"] for c in contracts.values())
        for row, v in parsed:
            code = v["contract"]
            key = (row.get("contract"), row.get("seq"))
            if self.first_key.get(key) != row.line:
                row.error("seq", _("Instalment %(seq)s of contract %(code)s already appears on line %(line)d.") % {"seq": row.get("seq"), "code": code, "line": self.first_key[key]})
            if v["amount"] is not None and v["amount"] <= 0:
                row.error("amount", _("An instalment amount must be positive."))
            contract = contracts.get(code)
            if code and code not in planned:
                if contract is None:
                    row.error("contract", _("No contract with the code “%(value)s”.") % {"value": code})
                elif not self.ctx.may_manage_owner(contract["customer__owner_id"]):
                    row.error("contract", _("No contract with the code “%(value)s”.") % {"value": code})
            if row.bad:
                continue
            self.file_plans[code][v["seq"]] = v["amount"]
            old = existing.get((contract["id"], v["seq"])) if contract else None
            if old is None:
                row.action = CREATE
            else:
                row.action = UPDATE if (old["due_on"], old["amount"]) != (v["due_on"], v["amount"]) else UNCHANGED

    def _plan_warnings(self, *, include_new: bool) -> None:
        contracts = contract_rows(self.file_plans)
        existing = defaultdict(dict)
        for (cid, seq), i in self._existing(c["id"] for c in contracts.values()).items():
            existing[cid][seq] = i["amount"]
        issues = []
        for code, plan in sorted(self.file_plans.items()):
            contract = contracts.get(code)
            if contract is None or (contract["id"] in self._warned) or (not include_new and code in self.ctx.planned.get("contracts.csv", set())):
                continue
            self._warned.add(contract["id"])
            total = sum({**existing.get(contract["id"], {}), **plan}.values(), Decimal("0.00"))
            if total != contract["amount"]:
                issues.append(Issue(self.file, None, "amount", _("The instalments of contract %(code)s add up to %(total)s, not to its amount %(amount)s; imported as they are.") % {"code": code, "total": total, "amount": contract["amount"]}))
        self.ctx.report.warnings.extend(issues)

    def finish_check(self) -> None:
        # Contracts already in Kehu (with the contracts.csv of this import not written yet,
        # only those it does not change); the others are checked once written.
        self._plan_warnings(include_new=False)

    def write(self, rows: list[Row]) -> None:
        parsed = [self.parse(row) for row in rows]
        contracts = contract_rows(v["contract"] for v in parsed)
        existing = self._existing(c["id"] for c in contracts.values())
        created, updated = [], []
        for v in parsed:
            cid = contracts[v["contract"]]["id"]
            self.touched.add(cid)
            old = existing.get((cid, v["seq"]))
            if old is None:
                created.append(Instalment(contract_id=cid, seq=v["seq"], due_on=v["due_on"], amount=v["amount"], applied=0))
            else:
                updated.append(Instalment(id=old["id"], contract_id=cid, seq=v["seq"], due_on=v["due_on"], amount=v["amount"], applied=0, paid_in_full_on=None))
        if updated:
            # The payments are applied again from scratch in finish_write; clearing first keeps
            # applied <= amount true when an amount goes down.
            ids = [u.contract_id for u in updated]
            for batch in chunked(set(ids)):
                PaymentAllocation.objects.filter(instalment__contract_id__in=batch).delete()
                Instalment.objects.filter(contract_id__in=batch).update(applied=0, paid_in_full_on=None)
            update_rows(Instalment, updated, ["due_on", "amount", "applied", "paid_in_full_on"])
        insert_rows(Instalment, created)

    def finish_write(self) -> None:
        self._plan_warnings(include_new=True)
        reapply_and_refresh(self.touched, actor=self.ctx.actor)

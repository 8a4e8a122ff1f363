"""quality_losses.csv: ★customer, ★date, ★amount, note.

A quality loss has no code: a row is the same loss as one in Kehu when customer, date,
amount and note are all equal (so a re-import changes nothing), and a row repeating an
earlier row of the file is reported as a duplicate. The customer is one in Kehu that the
importer may change or a good row of customers.csv.
"""

from django.utils.translation import gettext as _

from kehu.dataset.importers.base import CREATE, UNCHANGED, Importer, Row, chunked, insert_rows
from kehu.dataset.importers.payments import customer_rows
from kehu.dataset.values import parse_date, parse_money, parse_text
from kehu.finance.models import QualityLoss


class QualityLossImporter(Importer):
    file = "quality_losses.csv"
    columns = ["customer", "date", "amount", "note"]
    required = ["customer", "date", "amount"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.first_key: dict[tuple, int] = {}

    def scan(self, row: Row) -> None:
        self.first_key.setdefault((row.get("customer"), row.get("date"), row.get("amount"), row.get("note")), row.line)

    def parse(self, row: Row) -> dict:
        return {
            "customer": row.get("customer"),
            "occurred_on": row.parse("date", parse_date),
            "amount": row.parse("amount", parse_money),
            "note": row.parse("note", parse_text, max_length=2000) or "",
        }

    @staticmethod
    def _existing(customer_ids) -> set[tuple]:
        found = set()
        for batch in chunked(set(customer_ids)):
            for cid, day, amount, note in QualityLoss.objects.filter(customer_id__in=batch).values_list("customer_id", "occurred_on", "amount", "note"):
                found.add((cid, day, amount, note))
        return found

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        customers = customer_rows(v["customer"] for _r, v in parsed if v["customer"])
        planned = self.ctx.planned.get("customers.csv", set())
        existing = self._existing(c[0] for c in customers.values())
        for row, v in parsed:
            code = v["customer"]
            key = (row.get("customer"), row.get("date"), row.get("amount"), row.get("note"))
            if self.first_key.get(key) != row.line:
                row.error("", _("This quality loss repeats line %(line)d.") % {"line": self.first_key[key]})
            if code and code not in planned:
                if code not in customers or not self.ctx.may_manage_owner(customers[code][1]):
                    row.error("customer", _("No customer with the code “%(value)s”.") % {"value": code})
            if row.bad:
                continue
            cid = customers.get(code, (None,))[0]
            row.action = UNCHANGED if (cid, v["occurred_on"], v["amount"], v["note"]) in existing else CREATE

    def write(self, rows: list[Row]) -> None:
        parsed = [self.parse(row) for row in rows]
        customers = customer_rows(v["customer"] for v in parsed)
        insert_rows(QualityLoss, [
            QualityLoss(customer_id=customers[v["customer"]][0], occurred_on=v["occurred_on"], amount=v["amount"], note=v["note"])
            for v in parsed
        ])

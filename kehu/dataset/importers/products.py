"""products.csv: ★code, ★name, category, ★list_price, ★unit_cost.

Prices and costs are exact decimals with at most 4 places. The catalogue and its prices are
company settings, so only administrators import products.
"""

from django.utils.translation import gettext as _

from kehu.dataset.importers.base import CREATE, CodedImporter, Row, UNCHANGED, UPDATE, chunked, update_rows
from kehu.dataset.importers.customers import parse_code
from kehu.dataset.values import parse_money, parse_text
from kehu.sales.models import Product


class ProductImporter(CodedImporter):
    file = "products.csv"
    columns = ["code", "name", "category", "list_price", "unit_cost"]
    required = ["code", "name", "list_price", "unit_cost"]

    def refusal(self):
        if not self.ctx.is_admin:
            return _("Only an administrator may import products: the catalogue and its prices are company settings.")
        return None

    def parse(self, row: Row) -> dict:
        v = {
            "code": row.parse("code", parse_code),
            "name": row.parse("name", parse_text, max_length=200),
            "list_price": row.parse("list_price", parse_money, places=4),
            "unit_cost": row.parse("unit_cost", parse_money, places=4),
        }
        if row.has("category"):
            v["category"] = row.parse("category", parse_text, max_length=100) or ""
        return v

    def _existing(self, codes) -> dict[str, Product]:
        found = {}
        for batch in chunked(set(codes)):
            for p in Product.objects.filter(code__in=batch):
                found[p.code] = p
        return found

    @staticmethod
    def _changes(old: Product, v: dict) -> dict:
        return {k: [getattr(old, k), new] for k, new in v.items() if k != "code" and getattr(old, k) != new}

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        existing = self._existing(v["code"] for _r, v in parsed if v["code"])
        for row, v in parsed:
            code = v["code"]
            self.check_code_once(row, code)
            if row.bad:
                continue
            old = existing.get(code)
            row.action = CREATE if old is None else (UPDATE if self._changes(old, v) else UNCHANGED)

    def write(self, rows: list[Row]) -> None:
        parsed = [self.parse(row) for row in rows]
        existing = self._existing(v["code"] for v in parsed)
        created, updated, fields = [], [], {"updated_at"}
        moved = []  # products whose category changed
        for v in parsed:
            old = existing.get(v["code"])
            if old is None:
                created.append(Product(**v))
                continue
            changes = self._changes(old, v)
            if "category" in changes:
                moved.append(old.pk)
            fields.update(changes)
            for k, (_before, after) in changes.items():
                setattr(old, k, after)
            old.updated_at = self.ctx.now
            updated.append(old)
        Product.objects.bulk_create(created, batch_size=500)
        update_rows(Product, updated, sorted(fields))
        if moved:  # their lines now count for another category: the summary follows, in the import's transaction
            from kehu.sales.summaries import category_months_refresh_products

            category_months_refresh_products(product_ids=moved)

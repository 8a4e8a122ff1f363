"""Opening a Kehu dataset: a folder of UTF-8 CSV files, one such CSV file, or one `.xlsx`
workbook with a sheet per file (named like the file without `.csv`).

A table yields its rows as `(line, cells)`, the header being line 1 — the row number a
spreadsheet shows. Rows are read lazily, so a 100,000-row file is never held in memory,
and a table can be read more than once (the importer checks first, then writes).
"""

import csv
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from kehu.dataset.values import cell_text

# Every file of the format, in import order (a file only refers to files before it).
DATASET_FILES = [
    "users.csv",
    "customers.csv",
    "contacts.csv",
    "products.csv",
    "opportunities.csv",
    "orders.csv",
    "order_lines.csv",
    "contracts.csv",
    "instalments.csv",
    "payments.csv",
    "quality_losses.csv",
    "activities.csv",
    "targets.csv",
]
# Large CSV fields (long notes) are fine; a runaway unquoted field is not.
csv.field_size_limit(1024 * 1024)


class DatasetError(Exception):
    """The dataset as a whole cannot be read (no such folder, not a workbook…)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TableError(Exception):
    """A table stops being readable at `line` (bad encoding, broken quoting)."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


class Table:
    name: str

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        raise NotImplementedError


class CsvTable(Table):
    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = path

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        line = 0
        try:
            with open(self.path, "rb") as handle:
                for line, cells in enumerate(csv.reader(_decoded_lines(handle)), start=1):
                    yield line, cells
        except csv.Error as exc:
            raise TableError(line + 1, _("The file is not valid CSV here: %(error)s") % {"error": str(exc)}) from None


def _decoded_lines(handle) -> Iterator[str]:
    """The lines of a binary file as UTF-8 text (a BOM dropped); a line that is not UTF-8 stops it."""
    for number, raw in enumerate(handle, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TableError(number, _("This line is not UTF-8 text. Save the file as “CSV UTF-8”.")) from None
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield text


class XlsxTable(Table):
    def __init__(self, name: str, path: Path, sheet: str):
        self.name = name
        self.path = path
        self.sheet = sheet

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        workbook = _load_workbook(self.path)
        try:
            sheet = workbook[self.sheet]
            for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, [cell_text(v) for v in values]
        finally:
            workbook.close()


def _load_workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        raise DatasetError(_("%(name)s is not an Excel workbook (.xlsx) that Kehu can read.") % {"name": path.name}) from None


class Dataset:
    """The tables found, by file name, and the names that are not part of the format."""

    def __init__(self, label: str, tables: dict[str, Table], ignored: list[str]):
        self.label = label
        self.tables = tables
        self.ignored = ignored


def open_dataset(path) -> Dataset:
    path = Path(path)
    if path.is_dir():
        tables: dict[str, Table] = {}
        ignored = []
        for child in sorted(path.iterdir()):
            if child.is_file() and child.suffix.lower() == ".csv":
                name = child.name.lower()
                if name in DATASET_FILES:
                    tables[name] = CsvTable(name, child)
                else:
                    ignored.append(child.name)
        if not tables and not ignored:
            raise DatasetError(_("%(path)s holds no CSV files.") % {"path": path})
        return Dataset(path.name, tables, ignored)
    if path.is_file() and path.suffix.lower() == ".xlsx":
        workbook = _load_workbook(path)
        try:
            sheets = list(workbook.sheetnames)
        finally:
            workbook.close()
        tables, ignored = {}, []
        for sheet in sheets:
            name = sheet.strip().lower()
            name = name if name.endswith(".csv") else name + ".csv"
            if name in DATASET_FILES and name not in tables:
                tables[name] = XlsxTable(name, path, sheet)
            else:
                ignored.append(sheet)
        return Dataset(path.name, tables, ignored)
    if path.is_file() and path.suffix.lower() == ".csv":
        name = path.name.lower()
        if name not in DATASET_FILES:
            return Dataset(path.name, {}, [path.name])
        return Dataset(path.name, {name: CsvTable(name, path)}, [])
    if not path.exists():
        raise DatasetError(_("%(path)s does not exist.") % {"path": path})
    raise DatasetError(_("%(path)s is neither a folder of CSV files nor an .xlsx workbook.") % {"path": path})

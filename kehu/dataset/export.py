"""Writing a Kehu dataset: a folder of CSV files, a zip of them, or one .xlsx workbook.

The same files and columns the importer reads, so an export imports back unchanged. Every
cell goes through `escape_cell`: text a spreadsheet would run as a formula (= + - @, tab,
carriage return) gets a leading apostrophe, in CSV and XLSX alike.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from kehu.dataset import selectors
from kehu.dataset.importers.activities import ActivityImporter
from kehu.dataset.importers.contacts import ContactImporter
from kehu.dataset.importers.contracts import ContractImporter
from kehu.dataset.importers.customers import CustomerImporter
from kehu.dataset.importers.forecasts import ForecastImporter, export_forecasts
from kehu.dataset.importers.instalments import InstalmentImporter
from kehu.dataset.importers.opportunities import OpportunityImporter
from kehu.dataset.importers.orders import OrderImporter, OrderLineImporter
from kehu.dataset.importers.payments import PaymentImporter
from kehu.dataset.importers.products import ProductImporter
from kehu.dataset.importers.quality_losses import QualityLossImporter
from kehu.dataset.importers.targets import TargetImporter, export_targets
from kehu.dataset.importers.users import UserImporter
from kehu.dataset.values import escape_cell

# (file, columns, rows(user=…)) in DATASET_FILES order; later issues add their files here.
EXPORTERS: list[tuple[str, list[str], Callable[..., Iterator[list[str]]]]] = [
    (UserImporter.file, UserImporter.columns, selectors.export_users),
    (CustomerImporter.file, CustomerImporter.columns, selectors.export_customers),
    (ContactImporter.file, ContactImporter.columns, selectors.export_contacts),
    (ProductImporter.file, ProductImporter.columns, selectors.export_products),
    (OpportunityImporter.file, OpportunityImporter.columns, selectors.export_opportunities),
    (OrderImporter.file, OrderImporter.columns, selectors.export_orders),
    (OrderLineImporter.file, OrderLineImporter.columns, selectors.export_order_lines),
    (ContractImporter.file, ContractImporter.columns, selectors.export_contracts),
    (InstalmentImporter.file, InstalmentImporter.columns, selectors.export_instalments),
    (PaymentImporter.file, PaymentImporter.columns, selectors.export_payments),
    (QualityLossImporter.file, QualityLossImporter.columns, selectors.export_quality_losses),
    (ActivityImporter.file, ActivityImporter.columns, selectors.export_activities),
    (TargetImporter.file, TargetImporter.columns, export_targets),
    (ForecastImporter.file, ForecastImporter.columns, export_forecasts),
]
FORMATS = ("csv", "xlsx")


def _write_csv(handle, columns, rows) -> int:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
        count += 1
    return count


def export_csv_folder(*, user, folder) -> dict[str, int]:
    """One UTF-8 CSV file per file of the format in `folder` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, columns, rows in EXPORTERS:
        with open(folder / name, "w", encoding="utf-8", newline="") as handle:
            counts[name] = _write_csv(handle, columns, rows(user=user))
    return counts


def export_csv_zip(*, user, target, progress=None) -> dict[str, int]:
    """The CSV files in one zip written to `target` (a path or a binary file object).
    `progress(done, name)`, when given, is called before each file (done: files written)."""
    counts = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, (name, columns, rows) in enumerate(EXPORTERS):
            if progress:
                progress(done, name)
            with archive.open(name, "w", force_zip64=True) as raw:
                handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                counts[name] = _write_csv(handle, columns, rows(user=user))
                handle.flush()
                handle.detach()
    return counts


def export_xlsx(*, user, target, progress=None) -> dict[str, int]:
    """One workbook with a sheet per file (named like the file without .csv), streamed.
    `progress(done, name)`, when given, is called before each sheet (done: sheets written)."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook(write_only=True)
    counts = {}
    for done, (name, columns, rows) in enumerate(EXPORTERS):
        if progress:
            progress(done, name)
        sheet = workbook.create_sheet(name.removesuffix(".csv"))
        sheet.append(columns)
        count = 0
        for row in rows(user=user):
            # Every cell is written as text, so codes, phones and amounts stay exactly as they are.
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", escape_cell(cell)) for cell in row])
            count += 1
        counts[name] = count
    workbook.save(target)
    return counts


def dataset_export(*, user, path, fmt: str | None = None) -> dict[str, int]:
    """`kehu export`: a folder of CSV files, or an .xlsx workbook when fmt is xlsx or the path ends .xlsx."""
    path = Path(path)
    fmt = fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
    if fmt == "xlsx":
        if path.suffix.lower() != ".xlsx":
            path = path / "kehu.xlsx" if path.is_dir() else path.with_suffix(".xlsx")
        path.parent.mkdir(parents=True, exist_ok=True)
        return export_xlsx(user=user, target=path)
    if path.suffix.lower() == ".zip":
        path.parent.mkdir(parents=True, exist_ok=True)
        return export_csv_zip(user=user, target=path)
    return export_csv_folder(user=user, folder=path)

"""Opening a Kehu dataset: a folder of CSV files (UTF-8 with or without a BOM, or GBK/GB18030), one such CSV file, or one `.xlsx`
workbook with a sheet per file (named like the file without `.csv`).

A table yields its rows as `(line, cells)`, the header being line 1 — the row number a
spreadsheet shows. Rows are read lazily, so a 100,000-row file is never held in memory,
and a table can be read more than once (the importer checks first, then writes).

A file may hold at most MAX_ROWS rows and MAX_BYTES bytes of data (a CSV file's size; an
.xlsx workbook's parts as they are unzipped). Both are checked before a row is parsed —
the sizes a workbook's zip declares (which Python's zipfile then holds it to), and the rows
of each sheet counted from its bytes — and again while rows are read, so a zip bomb or a
million-row sheet is refused at once instead of keeping the importer busy for minutes.
"""

import codecs
import csv
import posixpath
import re
import zipfile
import zlib
from xml.etree import ElementTree
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from kehu.core.errors import DomainError
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
    "forecasts.csv",
]
# Large CSV fields (long notes) are fine; a runaway unquoted field is not.
csv.field_size_limit(1024 * 1024)

# The most one file may hold (docs/dataset.md, "Limits"): data rows, not counting the header,
# and bytes (an .xlsx counted unzipped). The upload page refuses a larger upload too. The
# settings KEHU_IMPORT_MAX_ROWS and KEHU_IMPORT_MAX_BYTES override them (the tests lower them).
MAX_ROWS = 100_000
MAX_BYTES = 200 * 1024 * 1024
MEGABYTE = 1024 * 1024


def max_rows() -> int:
    return int(getattr(settings, "KEHU_IMPORT_MAX_ROWS", MAX_ROWS))


def max_bytes() -> int:
    return int(getattr(settings, "KEHU_IMPORT_MAX_BYTES", MAX_BYTES))


def too_large_message(name: str) -> str:
    return _("%(name)s is larger than %(max)s MB, the most Kehu imports from one file (an Excel workbook counted unzipped). Split it into several files and import them one after another.") % {
        "name": name, "max": _megabytes(max_bytes()),
    }


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:g}"


def _too_many_rows(name: str) -> "DatasetError":
    return DatasetError(
        _("%(name)s has more than %(max)d rows, the most Kehu imports from one file. Split it into several files and import them one after another.")
        % {"name": name, "max": max_rows()}
    )


class DatasetError(DomainError):
    """The dataset as a whole cannot be read (no such folder, not a workbook…); `message` is
    what the user reads."""


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
        limit = max_rows() + 1  # and the header
        encoding = csv_encoding(self.path)
        try:
            with open(self.path, "rb") as handle:
                for line, cells in enumerate(csv.reader(_decoded_lines(handle, encoding), **_dialect(self.path, encoding)), start=1):
                    if line > limit:
                        raise _too_many_rows(self.name)
                    yield line, cells
        except csv.Error as exc:
            raise TableError(line + 1, _("The file is not valid CSV here: %(error)s") % {"error": str(exc)}) from None


def csv_encoding(path: Path) -> str:
    """The encoding of a CSV file: "utf-8" when it starts with a BOM or its first line with
    non-ASCII bytes is UTF-8, otherwise "gb18030" — what Excel on a Chinese Windows writes
    ("CSV (逗号分隔)" is GBK, of which GB18030 is the superset). A line of Chinese text in GBK is
    almost never valid UTF-8, so the first such line decides; a later line in the other encoding
    stops the file with its line number (`_decoded_lines`)."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                return "utf-8"
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return "gb18030"
            return "utf-8"
    return "utf-8"


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _dialect(path: Path, encoding: str) -> dict:
    """A tab-separated file (Excel's "Unicode text") is read by tabs; everything else by commas."""
    with open(path, "rb") as handle:
        first = handle.readline(64 * 1024)
    text = first.decode(encoding, errors="replace")
    return {"delimiter": "\t"} if "\t" in text and "," not in text else {}


def _decoded_lines(handle, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of a binary file as text (a BOM dropped); a line that does not decode stops it."""
    for number, raw in enumerate(handle, start=1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise TableError(number, _("This line is not UTF-8 text. Save the file as “CSV UTF-8”.")) from None
        if encoding != "utf-8" and not raw.isascii() and _is_utf8(raw):
            raise TableError(number, _("This line is UTF-8 text while the lines before it are GBK. Save the whole file in one encoding (“CSV UTF-8” is best)."))
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
        limit = max_rows() + 1  # and the header
        try:
            sheet = workbook[self.sheet]
            # Rows openpyxl adds for gaps in the row numbers are held to the limit here.
            for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if line > limit:
                    raise _too_many_rows(self.sheet)
                yield line, [cell_text(v) for v in values]
        finally:
            workbook.close()


def _check_csv_size(path: Path, shown: str) -> None:
    if path.stat().st_size > max_bytes():
        raise DatasetError(too_large_message(shown))


def _not_a_workbook(shown: str) -> "DatasetError":
    return DatasetError(_("%(name)s is not an Excel workbook (.xlsx) that Kehu can read.") % {"name": shown})


def _check_workbook_size(path: Path, shown: str) -> None:
    """Refuse a workbook whose parts unzip to more than max_bytes(), before openpyxl opens it.
    zipfile never inflates a part past the size the zip declares for it, so the declared sizes
    are what reading the workbook can cost."""
    _check_csv_size(path, shown)
    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_workbook(shown) from None
    if unzipped > max_bytes():
        raise DatasetError(too_large_message(shown))


# The start of a row element of a worksheet part (`<row …>`, or `<x:row …>` with a prefix).
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_WORKSHEET_PART = re.compile(r"(^|/)worksheets/[^/]+\.xml$", re.IGNORECASE)
_CHUNK = 1 << 20


def _check_workbook_rows(path: Path, shown: str) -> None:
    """Refuse a workbook with a sheet of more than max_rows() rows, counted from the bytes of
    each worksheet part (a quick unzip and count) before openpyxl opens it: openpyxl reads a
    sheet that declares no dimension to its end just to open the workbook."""
    try:
        with zipfile.ZipFile(path) as archive:
            _count_rows(archive, max_rows() + 1)  # and the header
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
        raise _not_a_workbook(shown) from None


def _count_rows(archive: zipfile.ZipFile, limit: int) -> None:
    """Count each worksheet part's row elements chunk by chunk, stopping past `limit`."""
    for info in archive.infolist():
        if not _WORKSHEET_PART.search(info.filename):
            continue
        count, carry = 0, b""
        with archive.open(info) as part:
            while chunk := part.read(_CHUNK):
                buffer = carry + chunk
                # Count up to the last ">" (no row tag spans it) and carry the rest over.
                cut = buffer.rfind(b">") + 1 or max(len(buffer) - 64, 0)
                count += len(_ROW_TAG.findall(buffer, 0, cut))
                carry = buffer[cut:]
                if count > limit:
                    sheet = _sheet_names(archive).get(info.filename, posixpath.basename(info.filename))
                    raise _too_many_rows(sheet)


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """{worksheet part: sheet name} as far as the workbook says (for the message only)."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    package = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target") or "" for r in rels.iter(f"{package}Relationship")}
    names = {}
    for sheet in workbook.iter(f"{main}sheet"):
        target = targets.get(sheet.get(f"{rel}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        names[part] = sheet.get("name") or part
    return names


def _load_workbook(path: Path, shown: str | None = None):
    import openpyxl

    shown = shown or path.name
    _check_workbook_size(path, shown)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        raise _not_a_workbook(shown) from None


class Dataset:
    """The tables found, by file name, and the names that are not part of the format."""

    def __init__(self, label: str, tables: dict[str, Table], ignored: list[str]):
        self.label = label
        self.tables = tables
        self.ignored = ignored


def open_dataset(path, *, shown: str | None = None) -> Dataset:
    """The dataset at `path`; `shown` names a workbook or CSV file in messages (an upload's own
    file name, the file being stored under a canonical one)."""
    path = Path(path)
    if path.is_dir():
        tables: dict[str, Table] = {}
        ignored = []
        for child in sorted(path.iterdir()):
            if child.is_file() and child.suffix.lower() == ".csv":
                name = child.name.lower()
                if name in DATASET_FILES:
                    _check_csv_size(child, child.name)
                    tables[name] = CsvTable(name, child)
                else:
                    ignored.append(child.name)
        if not tables and not ignored:
            raise DatasetError(_("%(path)s holds no CSV files.") % {"path": path})
        return Dataset(path.name, tables, ignored)
    if path.is_file() and path.suffix.lower() == ".xlsx":
        shown = shown or path.name
        _check_workbook_size(path, shown)
        _check_workbook_rows(path, shown)
        workbook = _load_workbook(path, shown)
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
        _check_csv_size(path, shown or path.name)
        return Dataset(path.name, {name: CsvTable(name, path)}, [])
    if not path.exists():
        raise DatasetError(_("%(path)s does not exist.") % {"path": path})
    raise DatasetError(_("%(path)s is neither a folder of CSV files nor an .xlsx workbook.") % {"path": path})

"""Reading the spreadsheet a firm already has: one CSV file (UTF-8 with or without a BOM, or
GBK/GB18030 as Excel on a Chinese Windows saves it) or one `.xlsx` workbook with any sheet name.

The sheet read is the one that looks most like a list (the most recognised headings, the first
such sheet on a tie; an empty sheet never), and its header row is found even under a title row
("客户列表 2026-05-01"): the first of the first HEADER_SEARCH rows with at least two recognised
headings, else the first row with at least two filled cells. The same limits as a Kehu dataset
hold (files.py: rows and bytes, checked before a row is parsed).

`Sheet.rows()` yields the data rows below the header as `(line, cells)`, the line being the row
number the spreadsheet shows; fully empty rows are skipped. It can be read more than once.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from kehu.dataset.files import (
    CsvTable, DatasetError, _check_csv_size, _check_workbook_rows, _check_workbook_size, _load_workbook,
    _not_a_workbook, _too_many_rows, max_rows,
)
from kehu.dataset.values import cell_text

HEADER_SEARCH = 20


class Sheet:
    """One sheet of a firm's file: its headings, where they are, and its data rows."""

    def __init__(self, name: str, read: Callable[[], Iterator[tuple[int, list[str]]]], header_line: int, headings: list[str]):
        self.name = name
        self._read = read
        self.header_line = header_line
        self.headings = headings

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        for line, cells in self._read():
            if line <= self.header_line or not any((c or "").strip() for c in cells):
                continue
            yield line, cells


def _find_header(rows: list[tuple[int, list[str]]], recognise: Callable[[str], bool]) -> tuple[int, list[str], int] | None:
    """(line, headings, recognised count) of the header among the first rows; None if all empty."""
    fallback = None
    for line, cells in rows[:HEADER_SEARCH]:
        cells = [(c or "").strip() for c in cells]
        filled = sum(1 for c in cells if c)
        known = sum(1 for c in cells if c and recognise(c))
        if known >= 2:
            return line, _trim(cells), known
        if fallback is None and filled >= 2:
            fallback = (line, _trim(cells), known)
    return fallback


def _trim(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells = cells[:-1]
    return cells


def open_sheet(path, *, recognise: Callable[[str], bool], shown: str | None = None) -> Sheet:
    """The sheet of the CSV or .xlsx file at `path`; `recognise(heading)` says whether a heading
    is one Kehu knows (it picks the header row and the sheet). Raises DatasetError."""
    path = Path(path)
    shown = shown or path.name
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DatasetError(_("%(path)s does not exist.") % {"path": shown})
    if suffix == ".xlsx":
        return _open_workbook(path, shown, recognise)
    if suffix in (".csv", ".txt"):
        _check_csv_size(path, shown)
        table = CsvTable(shown, path)
        head = _head(table.rows)
        found = _find_header(head, recognise)
        if found is None:
            raise DatasetError(_("%(name)s is not a file of the Kehu format, and Kehu finds no heading row in it (such as 客户名称, 手机, 负责人).") % {"name": shown})
        return Sheet(shown, table.rows, found[0], found[1])
    raise DatasetError(_("%(name)s is neither a CSV file nor an .xlsx workbook.") % {"name": shown})


def _head(read) -> list[tuple[int, list[str]]]:
    head = []
    for line, cells in read():
        head.append((line, cells))
        if len(head) >= HEADER_SEARCH:
            break
    return head


def _open_workbook(path: Path, shown: str, recognise) -> Sheet:
    _check_workbook_size(path, shown)
    _check_workbook_rows(path, shown)
    workbook = _load_workbook(path, shown)
    best = None
    try:
        for name in workbook.sheetnames:
            head = []
            for line, values in enumerate(workbook[name].iter_rows(values_only=True, max_row=HEADER_SEARCH), start=1):
                head.append((line, [cell_text(v) for v in values]))
            found = _find_header(head, recognise)
            if found is not None and (best is None or found[2] > best[1][2]):
                best = (name, found)
    except Exception:  # a damaged part of the workbook
        raise _not_a_workbook(shown) from None
    finally:
        workbook.close()
    if best is None:
        raise DatasetError(_("%(name)s is not a file of the Kehu format, and Kehu finds no sheet with a heading row in it (such as 客户名称, 手机, 负责人).") % {"name": shown})
    sheet_name, (line, headings, _known) = best

    def read() -> Iterator[tuple[int, list[str]]]:
        book = _load_workbook(path, shown)
        limit = max_rows() + line
        try:
            for number, values in enumerate(book[sheet_name].iter_rows(values_only=True), start=1):
                if number > limit:
                    raise _too_many_rows(sheet_name)
                yield number, [cell_text(v) for v in values]
        finally:
            book.close()

    return Sheet(f"{shown} · {sheet_name}", read, line, headings)

"""The XLSX export of a report: the rows the page shows under the same filter and scope, in one
workbook, with a last sheet saying which filter made it. Cells as in the ranking exports
(`kehu.ranking.exports.workbook_response`): exact Decimals, money to the cent, text escaped so a
spreadsheet never runs it as a formula.

Speed (issue 12): openpyxl spends ~0.1 ms a cell (the share-of-wallet export has ~100,000 cells:
over a second), so the workbook is written here directly — the few XML parts of a workbook of
plain cells (numbers, booleans, inline strings; no styles beyond the default), zipped. A cell
reads back as the one openpyxl writes (kehu/reports/tests/test_exports.py compares them); money
Decimals are written exactly (openpyxl goes through a float: 16 digits)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpResponse
from django.utils.translation import gettext as _

from kehu.core.cells import escape_cell
from kehu.ranking.exports import CENT, XLSX


def filter_sheet(flt) -> tuple[str, list, list]:
    rows = [
        [_("Period"), flt.period.label, flt.period.start.isoformat(), flt.period.end.isoformat()],
        [_("Team"), flt.team.name if flt.team else _("All")],
        [_("Rep"), str(flt.rep) if flt.rep else _("All")],
        [_("Lead source"), flt.lead_source or _("All")],
        [_("Exported by"), str(flt.reader)],
    ]
    return _("Filter"), [_("Filter"), _("Value")], rows


def report_workbook(filename: str, flt, sheets: list[tuple[str, list, list]]):
    """sheets: (title, header, rows); a row is a list of (value, is_money) or plain values."""
    sheets = [*sheets, filter_sheet(flt)]
    response = HttpResponse(xlsx_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _columns(n: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for i in range(1, n + 1):
        name = ""
        while i:
            i, rest = divmod(i - 1, 26)
            name = letters[rest] + name
        out.append(name)
    return out


def _text_xml(value, cache: dict) -> str:
    """The inline-string cell of a text (openpyxl's cleaning and the formula escape), '' for no
    cell; cached per distinct text (currencies, categories, labels repeat)."""
    found = cache.get(value)
    if found is None:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        text = ILLEGAL_CHARACTERS_RE.sub("", escape_cell(str(value)))
        found = cache[value] = f' t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>' if text else ""
    return found


def _sheet_xml(header: list, rows: list) -> str:
    """One worksheet; each value as `kehu.ranking.exports._cell` makes it (None and empty text: no
    cell; bool; int; Decimal — money to the cent — written exactly without trailing zeros, as
    openpyxl writes it; anything else as escaped text)."""
    width = max([len(header), *(len(r) for r in rows)]) if rows else len(header)
    names = _columns(max(width, 1))
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:{names[-1]}{len(rows) + 1}"/><sheetData>']
    append = parts.append
    texts: dict = {}
    for number, row in enumerate([[str(h) for h in header], *rows], start=1):
        append(f'<row r="{number}">')
        for column, item in zip(names, row):
            if type(item) is tuple:
                value, money = item
            else:
                value, money = item, False
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                body = _text_xml(value, texts)
                if body:
                    append(f'<c r="{column}{number}"{body}')
            elif kind is Decimal or isinstance(value, Decimal):
                if money:
                    value = value.quantize(CENT)
                # exact, no trailing zeros (openpyxl writes 15000.00 as 15000: read back as an integer)
                append(f'<c r="{column}{number}"><v>{format(value.normalize(), "f")}</v></c>')
            elif kind is bool:
                append(f'<c r="{column}{number}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int):
                append(f'<c r="{column}{number}"><v>{int(value)}</v></c>')
            else:  # dates, lazy translations, ...: text, as openpyxl gets them
                body = _text_xml(str(value), texts)
                if body:
                    append(f'<c r="{column}{number}"{body}')
        append("</row>")
    append("</sheetData></worksheet>")
    return "".join(parts)


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def xlsx_bytes(sheets: list[tuple[str, list, list]]) -> bytes:
    """The workbook of `sheets` (title, header, rows) as XLSX bytes."""
    bodies = [_sheet_xml(header, rows) for _title, header, rows in sheets]
    titles, seen = [], set()
    for title, _header, _rows in sheets:
        name = str(title)[:31] or "Sheet"
        base, n = name, 1
        while name.lower() in seen:  # sheet names are unique, whatever the case
            suffix = str(n)
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        seen.add(name.lower())
        titles.append(name)
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>' for i in range(1, len(titles) + 1))
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        + "".join(f"<sheet name={quoteattr(t)} sheetId=\"{i}\" r:id=\"rId{i}\"/>" for i, t in enumerate(titles, start=1))
        + "</sheets></workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                  for i in range(1, len(titles) + 1))
        + f'<Relationship Id="rId{len(titles) + 1}" Type="{rel}/styles" Target="styles.xml"/></Relationships>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", _STYLES)
        for i, body in enumerate(bodies, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", body)
    return out.getvalue()

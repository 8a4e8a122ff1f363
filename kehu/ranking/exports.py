"""XLSX exports of the ranking reports: same scope and filters as the pages, translated
headers, numbers as exact Decimals (money with 2 decimals), text escaped like the dataset export."""

from __future__ import annotations

import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.core.cells import escape_cell
from kehu.ranking import selectors
from kehu.ranking.params import ordered_params

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CENT = Decimal("0.01")


def _cell(value, money: bool = False):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.quantize(CENT) if money else value
    if isinstance(value, int):
        return value
    return _text(value)


def _text(value) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", escape_cell(str(value)))


PROGRESS_EVERY = 5000  # rows between two calls of a `workbook_write` progress callback


def workbook_write(out, sheets: list[tuple[str, list, object]], *, progress=None) -> int:
    """Write the sheets to `out` (a path or a binary file) in openpyxl's write-only mode: each
    row is converted and streamed to the sheet's file as it comes (`rows` may be a generator),
    never held as cells. sheets: (title, header, rows); a row is a list of (value, is_money) or
    plain values. `progress(rows_written)` is called every PROGRESS_EVERY rows and at the end.
    Returns the number of rows written (headers not counted)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    done = 0
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([str(h) for h in header])
        append = sheet.append
        for row in rows:
            append([_cell(*item) if isinstance(item, tuple) else _cell(item) for item in row])
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done)
    book.save(out)
    if progress is not None:
        progress(done)
    return done


def workbook_response(filename: str, sheets: list[tuple[str, list, object]]) -> HttpResponse:
    """sheets: (title, header, rows); a row is a list of (value, is_money) or plain values."""
    out = io.BytesIO()
    workbook_write(out, sheets)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _run_line(run):
    return [_("Run"), run.pk, _("Model"), run.get_model_display(), _("As of"), run.as_of.isoformat(), _("Window (months)"), run.window_months]


def class_sheet(run, table) -> tuple[str, list, list]:
    header = [_("Class"), pgettext("count", "Customers"), _("Share of customers"), pgettext("amount", "Sales"), _("Profit"), _("Share of profit")]
    rows = [
        [r["label"], r["count"], r["count_share"], (r["sales"], True), (r["profit"], True), r["profit_share"]]
        for r in table["rows"]
    ]
    rows.append([_("Total"), table["count"], None, (table["sales"], True), (table["profit"], True), None])
    return _("Classes"), header, rows


def results_sheet(run, rows) -> tuple[str, list, object]:
    """The run's results in the run's order; `rows` is `selectors.result_rows` (a queryset).
    Rows are read in chunks as plain values (no model instances) and made as they are written."""
    names = selectors.INDICATORS[run.model]
    header = [_("Code"), _("Customer"), _("Class"), _("Rank"), _("Score")] + [selectors.indicator_label(n) for n in names]
    return _("Results"), header, _result_rows(run, rows, names)


def _result_rows(run, rows, names):
    money = [n in selectors.MONEY_INDICATORS for n in names]
    labels: dict = {}
    as_decimal = selectors.decimal_or_none
    values = rows.values_list("customer__code", "customer__name", "klass", "rank", "score", "indicators")
    for code, name, klass, rank, score, indicators in values.iterator(chunk_size=5000):
        label = labels.get(klass)
        if label is None:
            label = labels[klass] = str(selectors.class_label(run.model, klass))
        indicators = indicators or {}
        yield [code, name, label, rank, score] + [(as_decimal(indicators.get(n)), m) for n, m in zip(names, money)]


def params_sheet(run) -> tuple[str, list, list]:
    rows = [_run_line(run)[i : i + 2] for i in range(0, 8, 2)]
    for name, value in ordered_params(run).items():
        rows.append([name, selectors.decimal_or_none(value) if not isinstance(value, int) else value])
    return _("Parameters"), [pgettext("parameter", "Name"), pgettext("parameter", "Value")], rows


def compare_sheets(before, after, diff) -> list[tuple[str, list, list]]:
    header = [_("Section"), _("Code"), _("Customer"), pgettext("class change", "From"), pgettext("class change", "To"), _("Indicator"), _("Before"), _("After")]
    titles = {"entered": _("Entered"), "left": _("Left"), "promoted": _("Promoted"), "demoted": _("Demoted")}
    rows = []
    for key, title in titles.items():
        for item in diff[key]:
            c = item["customer"]
            base = [title, c.code, c.name, item.get("from"), item.get("to")]
            if not item["changes"]:
                rows.append(base + [None, None, None])
            for ch in item["changes"]:
                money = ch["name"] in selectors.MONEY_INDICATORS
                rows.append(base + [str(ch["label"]), (ch["before"], money), (ch["after"], money)])
    info = [[_("Before"), before.pk, before.as_of.isoformat()], [_("After"), after.pk, after.as_of.isoformat()]]
    return [(_("Changes"), header, rows), (_("Runs"), [_("Run"), "#", _("As of")], info)]

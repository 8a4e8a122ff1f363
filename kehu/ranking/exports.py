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


def _cell(value, *, money: bool = False):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.quantize(CENT) if money else value
    if isinstance(value, int):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", escape_cell(str(value)))


def workbook_response(filename: str, sheets: list[tuple[str, list, list]]) -> HttpResponse:
    """sheets: (title, header, rows); a row is a list of (value, is_money) or plain values."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([str(h) for h in header])
        for row in rows:
            cells = []
            for item in row:
                value, money = item if isinstance(item, tuple) else (item, False)
                cells.append(_cell(value, money=money))
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
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


def results_sheet(run, rows) -> tuple[str, list, list]:
    names = selectors.INDICATORS[run.model]
    header = [_("Code"), _("Customer"), _("Class"), _("Rank"), _("Score")] + [selectors.indicator_label(n) for n in names]
    out = []
    for r in selectors.decorate(rows, run.model):
        res = r["result"]
        out.append(
            [r["customer"].code, r["customer"].name, r["label"], res.rank, res.score]
            + [(v["value"], v["money"]) for v in r["indicators"]]
        )
    return _("Results"), header, out


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

"""Share of wallet and growth (DOMAIN.md §7, article 002): the page and its XLSX export, one
year at a time (kehu/reports/selectors/wallet.py has the rules). `?threshold=` is the share
(in percent) below which a growing account is an opportunity; a bad value falls back to the
default and says why."""

import io
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.core.pagination import paginate_list
from kehu.core.templatetags.kehu_core import money, percent
from kehu.planning.periods import period_of
from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.wallet import DEFAULT_THRESHOLD, scatter_option, wallet_rows

PAGE_SIZE = 50
CALL_TO_ACTION = 10  # opportunities spelled out above the table
RATIO_PLACES = Decimal("0.0001")


def _threshold(request, problems: list[str]) -> Decimal:
    raw = (request.GET.get("threshold") or "").strip()
    if not raw:
        return DEFAULT_THRESHOLD
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0 or value > 100 or value != value.quantize(Decimal("0.01")):
        problems.append(_("The share threshold must be a number above 0 and at most 100 (two decimals at most); "
                          "showing %(default)s %%.") % {"default": DEFAULT_THRESHOLD})
        return DEFAULT_THRESHOLD
    return value.normalize() if value == value.to_integral_value() else value


def _wallet(request):
    if not can_view_reports(request.user):
        raise Http404
    flt = report_filter(request, default="year", period_kinds=("year",))
    threshold = _threshold(request, flt.problems)
    return flt, threshold, wallet_rows(flt=flt, threshold=threshold)




def _scatter(wallet) -> dict:
    """The scatter of the page, the y axis' name below the legend (at 40 px they overlapped)."""
    option = scatter_option(wallet, names=(_("Our share (%)"), _("Their growth (%)"), pgettext("wallet", "Opportunities"), _("Other accounts")))
    option["grid"] = {**option.get("grid", {}), "top": 64}
    return option


def _table_rows(rows) -> str:
    """The table's rows of one page as HTML, exactly the markup the template wrote per row (built
    here: a row has nine cells of money and ratios, and the template engine took ~0.12 ms a row)."""
    stated = ' <span class="kehu-muted small">%s</span>' % escape(pgettext("growth", "stated"))
    badge = '<span class="badge text-bg-warning">%s</span>' % escape(pgettext("wallet", "Opportunity"))
    dash = "—"
    # the customer page's address reversed once: `reverse` per row cost more than the row's cells
    marker = 2147483647
    link = escape(reverse("customers:detail", args=[marker])).split(str(marker))
    out = []
    for n, r in enumerate(rows, start=1):
        currency, spend, share, our_growth, their_growth = r.currency, r.spend, r.share, r.our_growth, r.their_growth
        if their_growth is None:
            growth = dash
        else:
            growth = escape(percent(their_growth)) + (stated if r.their_growth_source == "stated" else "")
        code = escape(r.code)
        out.append(
            f'\n  <tr data-testid="row-{code}-{n}"{WARNING if r.is_opportunity else ""}>\n'
            f'    <td><a href="{link[0]}{int(r.customer_id)}{link[1]}">{escape(r.name)}</a> '
            f'<span class="kehu-muted small">{code}</span></td>\n'
            f'    <td>{escape(r.value_class_label)}</td>\n'
            f'    <td>{escape(r.category or dash)}</td>\n'
            f'    <td class="text-end">{escape(money(r.ours, currency))}</td>\n'
            f'    <td class="text-end">{dash if spend is None else escape(money(spend, currency))}</td>\n'
            f'    <td class="text-end">{dash if share is None else escape(percent(share, "ratio"))}</td>\n'
            f'    <td class="text-end">{dash if our_growth is None else escape(percent(our_growth, "ratio"))}</td>\n'
            f'    <td class="text-end">{growth}</td>\n'
            f'    <td>{badge if r.is_opportunity else ""}</td>\n'
            f'  </tr>\n  ')
    return mark_safe("".join(out))


WARNING = ' class="table-warning"'


@login_required
def wallet_view(request):
    flt, threshold, wallet = _wallet(request)
    threshold_text = format(threshold, "f")
    context = filter_context(flt)
    this_year = period_of("year", flt.today)
    context["filter_quick"] = [this_year, this_year.previous(), this_year.previous().previous()]  # only years here
    page = paginate_list(wallet.rows, params=request.GET, page_size=PAGE_SIZE)
    context.update({
        "nav": "report-wallet",
        "table_rows": _table_rows(page.rows),
        "wallet": wallet,
        "threshold": threshold_text,
        "page": page,
        "call_to_action": wallet.rows[:min(CALL_TO_ACTION, wallet.opportunity_count)],  # the opportunities come first
        "export_query": flt.query(threshold=threshold_text),
        "filter_keep": urlencode({"threshold": threshold_text}),  # the quick period links keep the threshold
        "chart": _scatter(wallet),
        "extra_fields": format_html(
            '<div><label class="form-label small mb-0" for="id_threshold">{}</label>'
            '<input class="form-control form-control-sm" name="threshold" id="id_threshold" value="{}" size="5" inputmode="decimal"></div>',
            _("Share below (%)"), threshold_text,
        ),
    })
    return render(request, "reports/wallet.html", context)


def _cell_ratio(value):
    return None if value is None else value.quantize(RATIO_PLACES)


def _texts():
    """Text as an export cell (kehu.ranking.exports' rule: formula-like text escaped, characters
    a workbook may not hold dropped; empty → no cell), cached per distinct value (categories,
    value classes, currencies repeat)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from kehu.core.cells import escape_cell

    cache: dict = {None: None}

    def text(value):
        try:
            return cache[value]
        except KeyError:
            found = cache[value] = ILLEGAL_CHARACTERS_RE.sub("", escape_cell(str(value))) or None
            return found

    return text


@login_required
def wallet_export_view(request):
    """Every row of the page (same scope, filter and order) in one write-only workbook, with the
    threshold and the filter on sheets of their own. The cells are written straight from the
    rows' integer cents (money to the cent, ratios to 0.0001 as the page computes them), empty
    values as no cell: this sheet can hold tens of thousands of rows (docs/performance.md)."""
    import openpyxl

    from kehu.ranking.exports import XLSX
    from kehu.reports.exports import filter_sheet

    flt, threshold, wallet = _wallet(request)
    header = [_("Code"), _("Customer"), _("Value class"), _("Product category"), _("Currency"), _("Our revenue"),
              _("Our revenue last year"), _("Their spend"), _("Our share"), _("Our growth"), _("Their growth (%)"),
              _("Their growth from"), pgettext("wallet", "Opportunity")]
    text = _texts()
    sources = {"computed": text(_("last year's spend")), "stated": text(_("stated by the customer")), "": None}
    yes = text(pgettext("wallet", "Yes"))
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(_("Share of wallet")[:31])
    sheet.append([str(h) for h in header])
    append = sheet.append
    for r in wallet.rows:
        append([text(r.code), text(r.name), text(r.value_class_label), text(r.category), text(r.currency), r.ours, r.ours_previous,
                r.spend, _cell_ratio(r.share), _cell_ratio(r.our_growth), r.their_growth, sources[r.their_growth_source],
                yes if r.is_opportunity else None])
    settings_sheet = book.create_sheet(_("Threshold")[:31])
    settings_sheet.append([str(_("Share below (%)"))])
    settings_sheet.append([threshold])
    title, filter_header, filter_rows = filter_sheet(flt)
    filter_ws = book.create_sheet(title[:31])
    filter_ws.append([str(h) for h in filter_header])
    for row in filter_rows:
        filter_ws.append([text(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="wallet-{wallet.year}.xlsx"'
    return response

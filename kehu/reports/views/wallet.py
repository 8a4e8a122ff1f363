"""Share of wallet and growth (DOMAIN.md §7, article 002): the page and its XLSX export, one
year at a time (kehu/reports/selectors/wallet.py has the rules). `?threshold=` is the share
(in percent) below which a growing account is an opportunity; a bad value falls back to the
default and says why."""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.core.pagination import paginate_list
from kehu.planning.periods import period_of
from kehu.reports.exports import report_workbook
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


@login_required
def wallet_view(request):
    flt, threshold, wallet = _wallet(request)
    threshold_text = format(threshold, "f")
    context = filter_context(flt)
    this_year = period_of("year", flt.today)
    context["filter_quick"] = [this_year, this_year.previous(), this_year.previous().previous()]  # only years here
    context.update({
        "nav": "report-wallet",
        "wallet": wallet,
        "threshold": threshold_text,
        "page": paginate_list(wallet.rows, params=request.GET, page_size=PAGE_SIZE),
        "call_to_action": wallet.opportunities[:CALL_TO_ACTION],
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


@login_required
def wallet_export_view(request):
    flt, threshold, wallet = _wallet(request)
    header = [_("Code"), _("Customer"), _("Value class"), _("Product category"), _("Currency"), _("Our revenue"),
              _("Our revenue last year"), _("Their spend"), _("Our share"), _("Our growth"), _("Their growth (%)"),
              _("Their growth from"), pgettext("wallet", "Opportunity")]
    sources = {"computed": _("last year's spend"), "stated": _("stated by the customer"), "": ""}
    yes = pgettext("wallet", "Yes")
    rows = [
        [r.code, r.name, r.value_class_label, r.category, r.currency, (r.ours, True), (r.ours_previous, True),
         (r.spend, True), _cell_ratio(r.share), _cell_ratio(r.our_growth), r.their_growth, sources[r.their_growth_source],
         yes if r.is_opportunity else ""]
        for r in wallet.rows
    ]
    sheet = (_("Share of wallet"), header, rows)
    settings_sheet = (_("Threshold"), [_("Share below (%)")], [[threshold]])
    return report_workbook(f"wallet-{wallet.year}.xlsx", flt, [sheet, settings_sheet])

"""What it takes (/reports/what-it-takes/): each rep's gap and the deals, qualified customers and
prospects it takes to close it at their own conversion rates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from kehu.core.templatetags.kehu_core import money
from kehu.reports.filters import filter_context, report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.what_it_takes import COMPANY, HISTORY_MONTHS, TEAM, what_it_takes


@login_required
@require_GET
def what_it_takes_view(request):
    if not can_view_reports(request.user):
        raise Http404
    flt = report_filter(request, default="month", period_kinds=("month", "quarter"))
    rows = what_it_takes(flt)
    context = filter_context(flt, sources=False)
    context["filter_quick"] = [p for p in context["filter_quick"] if p.kind in ("month", "quarter")]
    return render(request, "reports/what_it_takes.html", {
        "nav": "report-what-it-takes",
        **context,
        "rows": rows,
        "rows_html": rows_html(rows),
        "history_months": HISTORY_MONTHS,
    })


def _v(value) -> str:
    """A value as the template engine writes `{{ value }}`: localized, escaped."""
    return conditional_escape(localize(value))


def rows_html(rows) -> str:
    """The table's rows as the template's loop wrote them (one include per rep, three more per
    rep for the rate badges), character for character: ~100 reps through the template engine
    took ~15 ms of the director's page (docs/performance.md, "Director report pages with margin")."""
    # Texts translated as `{% translate %}` / `{% blocktranslate %}` wrote them: the catalogue's text
    # as it is (a template's literal is safe), the values put into it escaped.
    dash = "—"
    badges = {
        TEAM: ' <span class="badge text-bg-light" title="%s">%s</span>\n' % (
            _("No history of the rep's own: the team's rate"), _("team's")),
        COMPANY: ' <span class="badge text-bg-light" title="%s">%s</span>\n' % (
            _("No history of the rep's or the team's own: the company's rate"), _("company's")),
    }

    def badge(rate) -> str:
        return badges.get(rate.source, "\n")

    on_target = _("On target")
    out = []
    for n in rows:
        target, gap = n.target_amount, n.gap
        if target is None:
            gap_cell = dash
            sentence = _("No won target for this period.") + "\n    "
        elif n.on_target:
            gap_cell = f'<span class="text-success">{on_target}</span>'
            sentence = _("On target: %(won)s won of %(target)s.") % {"won": _v(money(n.won)), "target": _v(money(target))} + "\n    "
        else:
            gap_cell = _v(money(gap))
            if n.deals is None:
                sentence = _("%(gap)s to go; nobody has won a deal in the last 12 months to size it by.") % {"gap": _v(money(gap))} + "\n    "
            else:
                sentence = ngettext("%(gap)s to go: about %(deals)s deal of ~%(deal)s", "%(gap)s to go: about %(deals)s deals of ~%(deal)s",
                                    n.deals) % {"gap": _v(money(gap)), "deals": _v(n.deals), "deal": _v(money(n.average_deal))}
                if n.qualified is not None:
                    sentence += " — " + ngettext(
                        "%(qualified)s qualified customer at %(won)s won per %(of)s qualified",
                        "%(qualified)s qualified customers at %(won)s won per %(of)s qualified",
                        n.qualified) % {"qualified": _v(n.qualified), "won": _v(n.win_rate.num), "of": _v(n.win_rate.den)}
                    sentence += badge(n.win_rate)
                    if n.prospects is not None:
                        sentence += " — " + ngettext(
                            "%(prospects)s new prospect at %(qualified)s qualified per %(of)s prospects",
                            "%(prospects)s new prospects at %(qualified)s qualified per %(of)s prospects",
                            n.prospects) % {"prospects": _v(n.prospects), "qualified": _v(n.qualify_rate.num), "of": _v(n.qualify_rate.den)}
                        sentence += badge(n.qualify_rate)
                    else:
                        sentence += " — " + _("no prospect history to size the prospects by")
                else:
                    sentence += " — " + _("no history of qualified customers to size the rest by")
        deals = dash if n.deals is None else _v(n.deals)
        qualified = (dash if n.qualified is None else _v(n.qualified)) + (badge(n.win_rate) if n.deals is not None else "")
        prospects = (dash if n.prospects is None else _v(n.prospects)) + (badge(n.qualify_rate) if n.qualified is not None else "")
        out.append(
            f'\n<tr data-testid="wit-rep-{_v(n.rep.pk)}">\n'
            f'  <td>{_v(n.rep)}</td>\n'
            f'  <td class="text-end" data-col="target">{_v(money(target)) or dash}</td>\n'
            f'  <td class="text-end" data-col="won">{_v(money(n.won))}</td>\n'
            f'  <td class="text-end" data-col="gap">{gap_cell}</td>\n'
            f'  <td class="text-end" data-col="deal">{_v(money(n.average_deal)) or dash}{badge(n.deal_size)}</td>\n'
            f'  <td class="text-end" data-col="deals">{deals}</td>\n'
            f'  <td class="text-end" data-col="qualified">{qualified}</td>\n'
            f'  <td class="text-end" data-col="prospects">{prospects}</td>\n'
            f'  <td data-col="sentence">{sentence}</td>\n'
            f'</tr>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 — every value escaped above, the texts are the catalogue's

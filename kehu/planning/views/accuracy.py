"""The forecast accuracy page (DOMAIN.md §7): each rep's forecast against what they won over the
last closed months or quarters, for a lead time, with their mean accuracy and bias and a chart.
A rep sees their own row, a manager their teams', the director and finance everyone's
(kehu.planning.querysets); `?rep=` another's id is 404."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy

from kehu.accounts.models import User
from kehu.core.forms import StyledFormMixin
from kehu.core.templatetags.kehu_core import money, percent
from kehu.core.views import get_visible_or_404
from kehu.planning.permissions import can_view_planning
from kehu.planning.querysets import planning_user_q
from kehu.planning.selectors.accuracy import DEFAULT_LEAD_DAYS, MAX_LEAD_DAYS, MAX_PERIODS, accuracy_history

DEFAULTS = {"kind": "quarter", "lead_days": DEFAULT_LEAD_DAYS, "count": 4}


class AccuracyForm(StyledFormMixin, forms.Form):
    small_widgets = True
    kind = forms.ChoiceField(label=pgettext_lazy("accuracy", "Periods"), choices=[("quarter", pgettext_lazy("accuracy", "Quarters")), ("month", pgettext_lazy("accuracy", "Months"))], required=False)
    lead_days = forms.IntegerField(label=pgettext_lazy("accuracy", "Lead time (days)"), min_value=0, max_value=MAX_LEAD_DAYS, required=False)
    count = forms.IntegerField(label=pgettext_lazy("accuracy", "Closed periods"), min_value=1, max_value=MAX_PERIODS, required=False)

    def values(self) -> dict:
        """The chosen values, a default for each one left empty or invalid."""
        self.is_valid()
        data = self.cleaned_data  # the valid fields only
        return {k: data.get(k) if data.get(k) not in (None, "") else default for k, default in DEFAULTS.items()}


def _rep_html(rep, mean_label: str) -> str:
    """One rep's <tbody> of the table, exactly as the template wrote it (escaped the same way):
    at 100 reps × 4 periods the template engine took ~60 ms for ~3,000 cells; joined here, ~3 ms."""
    e = conditional_escape

    def ratio(value):
        return "—" if value is None else e(percent(value, "ratio"))

    cells = []
    for i, cell in enumerate(rep.rows):
        head = f'<th scope="rowgroup" rowspan="{len(rep.rows) + 1}">{e(rep.name)}</th>' if i == 0 else ""
        row = cell.row
        if row:
            forecast = "—" if row.forecast is None else e(money(row.forecast))
            values = (f'\n      <td class="text-end">{forecast}</td>\n      <td class="text-end">{e(money(row.actual))}</td>'
                      f'\n      <td class="text-end">{ratio(row.accuracy)}</td>\n      <td class="text-end">{ratio(row.bias)}</td>\n      ')
        else:
            values = '<td class="text-end">—</td>' * 4
        cells.append(f'\n    <tr>\n      {head}\n      <td>{e(cell.period.label)}</td><td>{cell.cutoff.isoformat()}</td>\n      {values}\n    </tr>\n    ')
    return (
        f'\n  <tbody data-rep="{e(rep.username)}">\n    {"".join(cells)}\n'
        f'    <tr class="table-light fw-semibold" data-testid="accuracy-mean">\n      <td colspan="4">{e(mean_label)}</td>\n'
        f'      <td class="text-end">{ratio(rep.mean_accuracy)}</td>\n      <td class="text-end">{ratio(rep.mean_bias)}</td>\n'
        f'    </tr>\n  </tbody>\n  '
    )


def visible_reps(user):
    return User.objects.filter(planning_user_q(user), role=User.Role.REP)


@login_required
def accuracy(request):
    if not can_view_planning(request.user):
        raise PermissionDenied
    # The inputs show what is used: the defaults, overridden by what the address gives.
    form = AccuracyForm({**DEFAULTS, **{k: v for k, v in request.GET.items() if k in DEFAULTS and v != ""}})
    values = form.values()
    rep = None
    if request.GET.get("rep"):
        rep = get_visible_or_404(visible_reps(request.user), pk=request.GET["rep"])
    history = accuracy_history(
        user=request.user, kind=values["kind"], count=values["count"], lead_days=values["lead_days"],
        today=timezone.localdate(), rep_ids=None if rep is None else [rep.pk],
    )
    mean_label = gettext("Mean over the periods with a value")
    for r in history.reps:
        r.html = mark_safe(_rep_html(r, mean_label))  # noqa: S308 — every value escaped in _rep_html
    return render(request, "planning/accuracy.html", {
        "nav": "accuracy", "form": form, "values": values, "history": history, "rep": rep, "chart": history.chart(),
        "reps": list(visible_reps(request.user).order_by("username").only("id", "username", "name")),
    })

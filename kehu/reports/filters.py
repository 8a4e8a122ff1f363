"""The filter bar every report shares — period, team, rep, lead source — and the scope it makes.

`report_filter(request, default="month")` reads the query string; a value the reader may not use
(a team they do not see, another team's rep, an unknown lead source, a malformed period) is not
silently ignored: the filter falls back to the default for that field and `problems` says why
(the page shows it, translated). The scope is always within what the reader sees
(`kehu.planning.querysets.planning_user_q`): a rep their own numbers, a manager their teams'
members, the director (admin) and finance everyone.

Two ways to restrict rows, each documented where a report uses it (docs/rules.md "## Reports"):
- `owned(qs, path)` — rows whose owner at `path` (e.g. "owner", "order__owner") is in scope:
  a figure belongs to the person who owns it, the same for every reader;
- `customers(qs, path)` — customers (or rows of customers at `path`) the reader may open
  (`Customer.objects.visible_to`), narrowed to the team / rep chosen.
Both add the lead source when one is chosen (`lead_source_path` to the customer's field).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.planning.errors import PlanningError
from kehu.planning.periods import Period, parse_period, period_of

PERIOD_KINDS = ("week", "month", "quarter", "half", "year")


@dataclass
class ReportFilter:
    reader: object
    period: Period
    team: object | None = None
    rep: object | None = None
    lead_source: str = ""
    problems: list[str] = field(default_factory=list)
    today: object = None

    # -- scope -----------------------------------------------------------------------------
    def user_q(self, prefix: str = "") -> Q:
        """A Q on users (at `prefix`, e.g. "owner") in the reader's scope and the team/rep chosen."""
        from kehu.planning.querysets import planning_user_q

        q = planning_user_q(self.reader, prefix=prefix)
        p = f"{prefix}__" if prefix else ""
        if self.rep is not None:
            q &= Q(**{f"{prefix}_id" if prefix else "id": self.rep.pk})
        elif self.team is not None:
            q &= Q(**{f"{p}team_id": self.team.pk})
        return q

    def reps(self, *, include_inactive: bool = True):
        """The users with the rep role in scope, by username (a report's rows per rep)."""
        from kehu.accounts.models import User

        qs = User.objects.filter(self.user_q(), role=User.Role.REP)
        if not include_inactive:
            qs = qs.filter(is_active=True)
        return qs.select_related("team").order_by("username")

    def owned(self, qs, path: str = "owner", *, lead_source_path: str | None = "customer__lead_source"):
        """`qs` narrowed to rows whose owner (at `path`) is in scope, and to the lead source."""
        qs = qs.filter(self.user_q(path))
        if self.lead_source and lead_source_path:
            qs = qs.filter(**{lead_source_path: self.lead_source})
        return qs

    def customers(self, qs=None, path: str = ""):
        """Customers the reader may open (or rows of them at `path`), narrowed to the team/rep
        chosen (by the customer's owner) and the lead source."""
        from kehu.customers.models import Customer

        visible = self.narrow_customers(Customer.objects.visible_to(self.reader))
        if qs is None:
            return visible
        return qs.filter(**{f"{path}__in" if path else "pk__in": visible.values("pk")})

    def narrow_customers(self, qs, path: str = ""):
        """`qs` (customers, or rows of customers at `path`) narrowed to the team / rep chosen (by
        the customer's owner) and the lead source — no visibility: the caller starts from a
        `visible_to` queryset."""
        p = f"{path}__" if path else ""
        if self.rep is not None:
            qs = qs.filter(**{f"{p}owner_id": self.rep.pk})
        elif self.team is not None:
            qs = qs.filter(**{f"{p}owner__team_id": self.team.pk})
        if self.lead_source:
            qs = qs.filter(**{f"{p}lead_source": self.lead_source})
        return qs

    # -- links -----------------------------------------------------------------------------
    def query(self, **overrides) -> str:
        """The query string of this filter (for links to another report or the export)."""
        from urllib.parse import urlencode

        params = {"period": self.period.label, "team": self.team.pk if self.team else "", "rep": self.rep.pk if self.rep else "",
                  "source": self.lead_source}
        params.update(overrides)
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


class ReportFilterForm(forms.Form):
    period = forms.CharField(label=gettext_lazy("Period"), required=False, max_length=10)
    team = forms.IntegerField(label=gettext_lazy("Team"), required=False, min_value=1)
    rep = forms.IntegerField(label=gettext_lazy("Rep"), required=False, min_value=1)
    source = forms.CharField(label=gettext_lazy("Lead source"), required=False, max_length=32)


def _period_problem(text: str, kinds, exc: PlanningError) -> str:
    """What to write instead, naming only the kinds of period this report takes (planning's
    message offers a quarter to the anomalies, which take months only, and every kind to share
    of wallet, which takes years only)."""
    value = (text or "")[:40]
    if set(kinds) == {"month"}:
        return _("“%(value)s” is not a period here. This report takes months: write 2026-06.") % {"value": value}
    if set(kinds) == {"year"}:
        return _("“%(value)s” is not a period here. This report takes years: write 2026.") % {"value": value}
    return exc.message


def report_filter(request, *, default: str = "month", period_kinds=PERIOD_KINDS) -> ReportFilter:
    """The filter of a report page from `request.GET` (see the module's doc)."""
    from kehu.customers.models import Customer
    from kehu.planning.querysets import planning_users, visible_teams

    reader = request.user
    today = timezone.localdate()
    form = ReportFilterForm(request.GET)
    form.is_valid()
    data = {k: v for k, v in form.cleaned_data.items()}
    problems = [f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items()]
    result = ReportFilter(reader=reader, period=period_of(default, today), problems=problems, today=today)
    if data.get("period"):
        try:
            result.period = parse_period(data["period"], kinds=period_kinds)
        except PlanningError as exc:
            problems.append(_period_problem(data["period"], period_kinds, exc))
    if data.get("team"):
        team = visible_teams(reader).filter(pk=data["team"]).first() if not reader.is_rep else None
        if team is None:
            problems.append(_("There is no such team among yours; showing all you see."))
        result.team = team
    if data.get("rep"):
        rep = planning_users(reader, include_inactive=True).filter(pk=data["rep"]).first()
        if rep is None:
            problems.append(_("There is no such rep among yours; showing all you see."))
        result.rep = rep
    source = data.get("source") or ""
    if source:
        if source in Customer.LeadSource.values:
            result.lead_source = source
        else:
            problems.append(_("Unknown lead source: %(value)s.") % {"value": source})
    return result


def filter_context(flt: ReportFilter, *, sources: bool = True, people: bool = True, picker_reps=None) -> dict:
    """What `templates/reports/partials/filters.html` draws. `picker_reps`: the reps the report
    already read that the picker lists (`planning_users(reader, include_inactive=True)`: every
    rep the reader sees, by username) — then not read again."""
    from kehu.customers.models import Customer
    from kehu.planning.querysets import planning_users, sees_company, visible_teams

    reader = flt.reader
    today = flt.today or timezone.localdate()
    return {
        "filter": flt,
        "filter_quick": [period_of(kind, today) for kind in ("week", "month", "quarter", "half", "year")]
        + [period_of("month", today).previous(), period_of("quarter", today).previous(), period_of("year", today).previous()],
        "filter_teams": list(visible_teams(reader).order_by("name")) if people and (reader.is_manager or sees_company(reader)) else [],
        "filter_reps": ([] if not people or reader.is_rep else list(picker_reps) if picker_reps is not None
                        else list(planning_users(reader, include_inactive=True))),
        "filter_sources": Customer.LeadSource.choices if sources else [],
    }

"""The rest of the API a page offers (issue 14, engineer apirest): the reports' remaining figures
(anomalies, buying factors, what it takes, the Friday review with its waterfall), a manager's
adjustment of a forecast and the comparison of two ranking runs — each from the page's own
selector or service, with the page's permission and scope (docs/api.md, "## The rest of the
pages").

- Anomalies, factors, what it takes: the report filter bar (kehu.reports.filters.report_filter
  through `report_filter_or_400`: a team or rep not among yours, a malformed period is a 400), the
  reader's scope (a rep their own numbers, a manager their teams', the director and finance all).
- The Friday review: the director and finance (the company or a team), a manager (their teams); a
  rep 403, a team not among yours 404 — as the page.
- The adjustment: `forecast_adjust` (the managers of the rep's team and the director; never one's
  own; finance never: 403); a submission out of sight is 404; audited by the service.
- The comparison: `kehu.ranking.selectors.compare`, the rows limited to the customers you may see.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from kehu.api import filters
from kehu.api import rest_serializers as s
from kehu.api.errors import ServiceError
from kehu.api.finance import query
from kehu.api.planning import _figures
from kehu.api.reports import _Params, report_filter_or_400
from kehu.api.reports_serializers import ReportQuerySerializer
from kehu.core.models import CompanySettings
from kehu.core.money import DEFAULT_CURRENCY


def _name(user) -> str | None:
    return None if user is None else (user.get_full_name() or user.username)


def _month(key) -> str:
    return f"{key[0]}-{key[1]:02d}"


# --- anomalies ---------------------------------------------------------------------------------

class AnomaliesView(APIView):
    @extend_schema(parameters=[s.AnomalyQuerySerializer], responses={200: s.AnomalyReportSerializer},
                   summary=_("The anomalies: reps whose revenue or follow-ups of a kind fell under a share of their usual month"),
                   description=_("What the anomalies page (and the 工作台 and `kehu anomalies`) shows for the same month and share: "
                                 "each alert with the six months before it. A rep their own, a manager their teams', the director "
                                 "and finance everyone's."))
    def get(self, request):
        from kehu.reports.views.anomalies import _filter, _report

        params = query(request, s.AnomalyQuerySerializer)
        report_filter_or_400(request, default="month", period_kinds=("month",))
        given = {n: request.query_params[n] for n in ("period", "team", "rep") if request.query_params.get(n)}
        if params.get("share") is not None:
            given["share"] = str(params["share"])
        flt, share = _filter(_Params(request.user, given))  # the page's defaults: the month just ended, 20 %
        revenue, followups = _report(flt, share)
        data = {
            "period": flt.period.label, "period_start": flt.period.start, "period_end": flt.period.end,
            "so_far": flt.period.contains(flt.today), "share": share, "currency": DEFAULT_CURRENCY,
            "revenue": [{"rep": a.rep.pk, "rep_name": _name(a.rep), "team": a.rep.team_id,
                         "team_name": a.rep.team.name if a.rep.team_id else "", "revenue": a.anomaly.revenue,
                         "usual": a.anomaly.median, "ratio": a.anomaly.ratio,
                         "months": [{"month": _month(k), "revenue": v} for k, v in a.months]} for a in revenue],
            "followups": [{"rep": a.rep.pk, "rep_name": _name(a.rep), "team": a.rep.team_id,
                           "team_name": a.rep.team.name if a.rep.team_id else "", "kind": a.kind, "kind_label": a.kind_label,
                           "count": a.drop.count, "usual": a.drop.median, "ratio": a.drop.ratio,
                           "months": [{"month": _month(k), "count": v} for k, v in a.months]} for a in followups],
        }
        return Response(s.AnomalyReportSerializer(data).data)


# --- buying factors ----------------------------------------------------------------------------

def _cells(cells, factors) -> list[dict]:
    return [{"factor": f, "count": c.count, "share": c.share} for f, c in zip(factors, cells)]


def _dimension(d, factors) -> dict:
    return {"key": d.key, "title": str(d.title), "segment_title": str(d.segment_title), "segments": [
        {"key": seg.key or "", "label": str(seg.label), "rows": seg.rows, "first": _cells(seg.first, factors),
         "either": _cells(seg.either, factors), "unknown": {"count": seg.unknown.count, "share": seg.unknown.share}}
        for seg in d.segments]}


class FactorsView(APIView):
    @extend_schema(parameters=[ReportQuerySerializer], responses={200: s.FactorsReportSerializer},
                   summary=_("The buying factors report's figures"),
                   description=_("What the buying factors page shows for the same filter: the factors across the customers' "
                                 "tiers, classes and industries (as they are now) and across the deals won and lost in the period."))
    def get(self, request):
        from kehu.reports.selectors.factors import FACTORS
        from kehu.reports.views.factors import _report

        flt = report_filter_or_400(request, default="quarter")
        report = _report(flt)  # the page's: industries in the reader's language
        winner = report.winner
        data = {
            "period": flt.period.label, "period_start": flt.period.start, "period_end": flt.period.end,
            "factors": [{"code": f, "label": str(label)} for f, label in zip(FACTORS, report.factor_labels)],
            "dimensions": [_dimension(d, FACTORS) for d in report.dimensions],
            "deals": _dimension(report.deals, FACTORS),
            "win_rates": [{"factor": w.factor, "label": str(w.label), "won": w.won, "lost": w.lost, "win_rate": w.win_rate}
                          for w in report.win_rates],
            "winner": None if winner is None else {"factor": winner.factor, "label": str(winner.label), "won": winner.won,
                                                   "won_deals": winner.won_deals, "share": winner.share},
        }
        return Response(s.FactorsReportSerializer(data).data)


# --- what it takes -----------------------------------------------------------------------------

def _count_rate(rate) -> dict:
    none = rate.source == "none"
    return {"source": rate.source, "numerator": None if none else int(rate.num), "denominator": None if none else int(rate.den)}


class WhatItTakesView(APIView):
    @extend_schema(parameters=[s.WhatItTakesQuerySerializer], responses={200: s.WhatItTakesSerializer},
                   summary=_("What it takes: each rep's gap to the won target and the deals, qualified customers and prospects to close it"),
                   description=_("What the what-it-takes page shows for the same month or quarter: at each rep's own rates over "
                                 "the twelve months before, else their team's, else the company's (source)."))
    def get(self, request):
        from kehu.reports.selectors.what_it_takes import HISTORY_MONTHS, what_it_takes

        query(request, s.WhatItTakesQuerySerializer)
        flt = report_filter_or_400(request, default="month", period_kinds=("month", "quarter"))
        rows = []
        for n in what_it_takes(flt):
            size = n.deal_size
            rows.append({
                "rep": n.rep.pk, "rep_name": _name(n.rep), "team": n.rep.team_id, "target": n.target_amount, "won": n.won,
                "gap": n.gap, "on_target": n.on_target, "average_deal": n.average_deal,
                "deal_size": {"source": size.source, "won_amount": None if size.source == "none" else size.num,
                              "won_count": None if size.source == "none" else int(size.den)},
                "win_rate": _count_rate(n.win_rate), "qualify_rate": _count_rate(n.qualify_rate),
                "deals": n.deals, "qualified": n.qualified, "prospects": n.prospects,
                "history": {"won_count": n.history.won_count, "won_amount": n.history.won_amount,
                            "qualified": n.history.qualified, "prospects": n.history.prospects},
            })
        data = {"period": flt.period.label, "period_start": flt.period.start, "period_end": flt.period.end,
                "currency": DEFAULT_CURRENCY, "history_months": HISTORY_MONTHS, "rows": rows}
        return Response(s.WhatItTakesSerializer(data).data)


# --- the Friday review -------------------------------------------------------------------------

def rollup_row(r) -> dict:
    """A roll-up row as /api/forecasts/rollup/ answers it."""
    return {**_figures(r), "user": r.user.pk, "user_name": r.user.get_full_name() or r.user.username, "team": r.user.team_id,
            "submission": r.submission.pk if r.submission else None, "adjusted": r.adjustment is not None,
            "is_this_week": r.is_this_week}


class ReviewView(APIView):
    @extend_schema(parameters=[s.ReviewQuerySerializer],
                   responses={200: s.ReviewSerializer, 403: OpenApiResponse(description=_("Reps do not read the review.")),
                              404: OpenApiResponse(description=_("The team is not one of yours."))},
                   summary=_("The Friday review: target, won, commit, gap, coverage, the waterfall since a day, slipping deals"),
                   description=_("What the Friday review page shows: the director and finance the company (or a team), a manager "
                                 "their teams. The waterfall is the forecast's movement: what happened to the open amount expected "
                                 "in the period since `since` (start + Σ bars = end)."))
    def get(self, request):
        from kehu.planning.errors import PlanningError
        from kehu.planning.periods import parse_period, period_of
        from kehu.planning.querysets import visible_teams
        from kehu.planning.selectors.review import can_view_review, friday_review
        from kehu.planning.views.review import bar_names

        user = request.user
        team_given = request.query_params.get("team")
        if not can_view_review(user):
            if team_given:
                raise Http404
            raise ApiPermissionDenied
        params = query(request, s.ReviewQuerySerializer)
        today = timezone.localdate()
        try:
            period = parse_period(params["period"], kinds=("month", "quarter")) if params.get("period") else period_of("quarter", today)
        except PlanningError as exc:
            raise ValidationError({"period": [str(exc.message)]}) from exc
        teams = list(visible_teams(user).order_by("name"))
        team = None
        if params.get("team") is not None:
            team = next((t for t in teams if t.pk == params["team"]), None)
            if team is None:
                raise Http404
        since = min(params.get("since") or today - timedelta(days=7), today)
        review = friday_review(user=user, period=period, team=team, since=since, today=today, teams=teams)
        names = bar_names()
        water = review.waterfall
        data = {
            "period": period.label, "period_start": period.start, "period_end": period.end,
            "currency": CompanySettings.load().default_currency, "scope": review.scope,
            "team": review.team.pk if review.team else None, "teams": [t.pk for t in review.teams],
            "target": review.target, "members_target": review.members_target, "goal": review.goal, "won": review.won,
            "commit": review.commit, "adjusted_commit": review.adjusted_commit, "best_case": review.best_case,
            "adjusted_best_case": review.adjusted_best_case, "open_weighted": review.open_weighted, "weighted": review.weighted,
            "gap": review.gap, "gap_unadjusted": review.gap_unadjusted, "coverage": review.coverage,
            "rows": [rollup_row(r) for r in review.rows],
            "waterfall": {"since": water.since, "start": water.start, "start_count": water.start_count, "end": water.end,
                          "end_count": water.end_count,
                          "bars": [{"key": b.key, "label": str(names[b.key]), "amount": b.amount, "count": b.count} for b in water.bars]},
            "slipping": [{"id": o.pk, "code": o.code, "title": o.title, "customer": o.customer_id, "customer_name": o.customer.name,
                          "owner": o.owner_id, "owner_name": _name(o.owner), "stage": str(o.stage.name), "amount": o.amount,
                          "currency": o.currency, "expected_close_on": o.expected_close_on, "push_count": o.push_count}
                         for o in review.slipping],
            "slipping_count": review.slipping_count,
        }
        return Response(s.ReviewSerializer(data).data)


# --- a forecast adjustment ---------------------------------------------------------------------

class ForecastAdjustView(APIView):
    @extend_schema(request=s.AdjustSerializer, responses={201: s.AdjustmentSerializer},
                   summary=_("Adjust a rep's forecast (the managers of the rep's team and the director), with the reason"),
                   description=_("As the roll-up page: the adjustment is its own record beside the rep's number, never over it; "
                                 "only the rep's latest submission for the period can be adjusted; audited. A submission you may "
                                 "not see is 404; one you may see but not adjust (your own, finance) is 403."))
    def post(self, request, pk):
        from kehu.planning.errors import PlanningError
        from kehu.planning.querysets import submissions_visible_to
        from kehu.planning.services.adjustments import forecast_adjust

        submission = submissions_visible_to(request.user).select_related("user").filter(pk=filters.record_id(pk)).first()
        if submission is None:
            raise Http404
        from kehu.planning.permissions import can_adjust_forecast

        if not can_adjust_forecast(request.user, submission.user):
            raise ApiPermissionDenied
        serializer = s.AdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            adjustment = forecast_adjust(actor=request.user, submission=submission, commit=data["commit"],
                                         best_case=data.get("best_case"), note=data["note"])
        except PlanningError as exc:
            raise ServiceError(exc.message, code="rule_violated") from exc
        except PermissionDenied as exc:
            raise ApiPermissionDenied from exc
        return Response(s.AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED)


# --- ranking run comparison --------------------------------------------------------------------

SECTIONS = ("entered", "left", "promoted", "demoted")


class RunCompareView(APIView):
    @extend_schema(parameters=[s.CompareQuerySerializer],
                   responses={200: s.CompareSerializer, 404: OpenApiResponse(description=_("No such run."))},
                   summary=_("Compare a run with an earlier one: who entered, left, was promoted or demoted"),
                   description=_("What the comparison page shows, for the customers you may see: each section's count and its "
                                 "first 100 customers with their indicators in both runs. Without `with`, the run of the same "
                                 "model made just before (none: `before` is null and the sections are empty)."))
    def get(self, request, pk):
        from kehu.ranking import selectors

        after = selectors.run_get(filters.record_id(pk))
        if after is None:
            raise Http404
        params = query(request, s.CompareQuerySerializer)
        if params.get("with") is not None:
            before = selectors.run_get(params["with"])
            if before is None:
                raise ValidationError({"with": [_("Run “%(run)s” does not exist.") % {"run": params["with"]}]}, code="does_not_exist")
            if before.model != after.model:
                raise ValidationError({"with": [
                    _("Run #%(a)s (%(model_a)s) and run #%(b)s (%(model_b)s) use different models and cannot be compared.")
                    % {"a": before.pk, "model_a": before.get_model_display(), "b": after.pk, "model_b": after.get_model_display()}]},
                    code="invalid")
        else:
            before = selectors.previous_run(after)
        data = {"after": after.pk, "before": before.pk if before else None, "model": after.model}
        if before is None:
            data.update({key: {"total": 0, "results": []} for key in SECTIONS})
            return Response(s.CompareSerializer(data).data)
        diff = selectors.compare(before, after, request.user)
        for key in SECTIONS:
            data[key] = {"total": diff["totals"][key], "results": [{
                "customer": row["customer"].pk, "customer_code": row["customer"].code, "customer_name": row["customer"].name,
                "class_from": str(row["from"]) if "from" in row else None, "class_to": str(row["to"]) if "to" in row else None,
                "changes": [{"name": c["name"], "label": str(c["label"]), "money": c["money"], "ratio": c["ratio"],
                             "before": None if c["before"] is None else str(c["before"]),
                             "after": None if c["after"] is None else str(c["after"])} for c in row["changes"]],
            } for row in diff[key]]}
        return Response(s.CompareSerializer(data).data)

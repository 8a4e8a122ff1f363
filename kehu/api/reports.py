"""The report figures API (issue 14, engineer apifin): what the report pages show, as JSON, from
the reports' selectors with the pages' filter bar (kehu.reports.filters.report_filter) — the
same scope (a rep their own numbers, a manager their teams', the director and finance
everyone's). A filter value the page would drop with a warning (a team or rep not among yours,
an unknown lead source, a malformed period) is a 400 here. Read-only; every user with a role."""

from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from kehu.api import reports_serializers as s
from kehu.api.finance import page_links, query
from kehu.core.money import DEFAULT_CURRENCY
from kehu.reports.filters import report_filter
from kehu.reports.permissions import can_view_reports
from kehu.reports.selectors.activity import RANK_DEFAULT, leaderboard, rep_activity
from kehu.reports.selectors.funnel import funnel_report
from kehu.reports.selectors.sources import sources_report
from kehu.reports.selectors.wallet import DEFAULT_THRESHOLD, wallet_rows


class _Params:
    """A stand-in request for report_filter: the reader and some of the query parameters."""

    def __init__(self, user, params):
        self.user, self.GET = user, params


def report_filter_or_400(request, *, default: str, **kwargs):
    """report_filter of the request; its problems as a 400 naming each parameter that caused one."""
    if not can_view_reports(request.user):
        raise Http404
    extra = {"rank": s.ActivityQuerySerializer, "threshold": s.WalletQuerySerializer, "limit": s.WalletQuerySerializer,
             "offset": s.WalletQuerySerializer}
    query(request, next((c for name, c in extra.items() if name in request.query_params), s.ReportQuerySerializer))  # types first
    names = [n for n in ("period", "team", "rep", "source") if request.query_params.get(n)]
    flt = report_filter(_Params(request.user, {n: request.query_params[n] for n in names}), default=default, **kwargs)
    if flt.problems:
        fields = {}
        for name in names:
            alone = report_filter(_Params(request.user, {name: request.query_params[name]}), default=default, **kwargs)
            if alone.problems:
                fields[name] = alone.problems
        raise ValidationError(fields or {"non_field_errors": flt.problems})
    return flt


def _row(r, tiers, classes) -> dict:
    return {"label": str(r.label), "customers": r.customers, "acquired": r.acquired, "signed": r.signed, "conversion": r.conversion,
            "won": r.won, "won_amount": r.won_amount, "revenue": r.revenue,
            "tier_counts": list(r.tier_counts), "class_counts": list(r.class_counts)}


class LeadSourcesView(APIView):
    @extend_schema(parameters=[s.ReportQuerySerializer], responses={200: s.SourcesReportSerializer},
                   summary=_("The lead-sources report's figures"),
                   description=_("What the lead-sources page shows for the same filter: per source and for the top referrers."))
    def get(self, request):
        flt = report_filter_or_400(request, default="quarter")
        report = sources_report(flt)
        tiers, classes = report.tiers, report.classes
        data = {
            "period": flt.period.label, "period_start": flt.period.start, "period_end": flt.period.end, "currency": DEFAULT_CURRENCY,
            "tiers": [{"code": c, "label": str(label)} for c, label in tiers],
            "classes": [{"code": c, "label": str(label)} for c, label in classes],
            "sources": [{**_row(r, tiers, classes), "source": r.key or None} for r in report.sources],
            "total": _row(report.total, tiers, classes),
            "referrers": [{**_row(r, tiers, classes), "referrer_kind": (r.key[0] if isinstance(r.key, tuple) else "") or "",
                           "hidden": r.hidden} for r in report.referrers],
            "referrer_count": report.referrer_count,
        }
        return Response(s.SourcesReportSerializer(data).data)


def _group(g) -> dict:
    return {"key": None if g.key in (None, "") else str(g.key), "label": str(g.label), "prospects": g.prospects, "signed": g.signed,
            "conversion": g.conversion, "won": g.won, "lost": g.lost, "win_rate": g.win_rate, "won_amount": g.won_amount,
            "deal_size": g.deal_size, "cycle_median": g.cycle_median}


class FunnelView(APIView):
    @extend_schema(parameters=[s.ReportQuerySerializer], responses={200: s.FunnelReportSerializer},
                   summary=_("The funnel report's figures"),
                   description=_("What the funnel page shows for the same filter: lifecycle, opportunity stages, "
                                 "the summary and the rows by rep, team and lead source."))
    def get(self, request):
        flt = report_filter_or_400(request, default="quarter")
        report = funnel_report(flt)
        data = {
            "period": flt.period.label, "period_start": flt.period.start, "period_end": flt.period.end, "currency": DEFAULT_CURRENCY,
            "lifecycle": [{"stage": r.key, "label": str(r.label), "now": r.now or 0, "reached": r.reached, "conversion": r.conversion}
                          for r in report.lifecycle],
            "stages": [{"stage": r.key, "label": str(r.label), "reached": r.reached, "conversion": r.conversion, "stays": r.stays,
                        "median_days": r.median_days, "p75_days": r.p75_days} for r in report.stages],
            "won": report.won, "lost": report.closed_lost, "win_rate": report.win_rate, "won_amount": report.won_amount,
            "deal_size": report.deal_size, "cycle_median": report.cycle_median, "cycle_count": report.cycle_count,
            "by_rep": [_group(g) for g in report.by_rep], "by_team": [_group(g) for g in report.by_team],
            "by_source": [_group(g) for g in report.by_source],
        }
        return Response(s.FunnelReportSerializer(data).data)


def _name(user) -> str | None:
    return None if user is None else (user.get_full_name() or user.username)


def _activity_row(r) -> dict:
    return {"rep": r.rep.pk if r.rep else None, "rep_name": _name(r.rep), "new_customers": r.new_customers,
            "kinds": dict(r.kinds), "followups": r.followups, "levels": dict(r.levels), "visits_unlevelled": r.visits_unlevelled,
            "prospects": r.prospects, "qualified": r.qualified, "quotes": r.quotes, "won_count": r.won_count,
            "won_amount": r.won_amount, "revenue": r.revenue, "collected": r.collected, "missed": r.missed,
            "target_amount": r.target_amount, "attained": r.attained}


class RepActivityView(APIView):
    @extend_schema(parameters=[s.ActivityQuerySerializer], responses={200: s.ActivityReportSerializer},
                   summary=_("The rep activity report's figures and leaderboard"),
                   description=_("What the rep activity page shows for the same filter: per rep and in total, and the leaderboard."))
    def get(self, request):
        params = query(request, s.ActivityQuerySerializer)
        flt = report_filter_or_400(request, default="month")
        measure = params.get("rank") or RANK_DEFAULT
        report = rep_activity(flt)
        ranked = leaderboard(list(report["rows"]), measure)
        data = {
            "period": flt.period.label, "period_start": flt.period.start, "period_end": flt.period.end, "currency": DEFAULT_CURRENCY,
            "rows": [_activity_row(r) for r in report["rows"]], "totals": _activity_row(report["totals"]),
            "rank": measure, "leaderboard": [{"rank": r.rank, "rep": r.rep.pk, "rep_name": _name(r.rep)} for r in ranked],
        }
        return Response(s.ActivityReportSerializer(data).data)


def _fraction(value):
    return None if value is None else value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


class ShareOfWalletView(APIView):
    @extend_schema(parameters=[s.WalletQuerySerializer], responses={200: s.WalletReportSerializer},
                   summary=_("The share-of-wallet report's figures"),
                   description=_("What the share-of-wallet page shows for the same filter (a year) and threshold: totals and "
                                 "one page of customer × category rows, the opportunities first."))
    def get(self, request):
        params = query(request, s.WalletQuerySerializer)
        flt = report_filter_or_400(request, default="year", period_kinds=("year",))
        threshold = params.get("threshold", DEFAULT_THRESHOLD)
        threshold = threshold.normalize() if threshold == threshold.to_integral_value() else threshold
        wallet = wallet_rows(flt=flt, threshold=threshold)
        offset, limit = params["offset"], params["limit"]
        rows = list(wallet.rows[offset:offset + limit + 1])
        following, before = page_links(request, offset=offset, limit=limit, has_next=len(rows) > limit)
        data = {
            "year": wallet.year, "threshold": threshold, "customers": wallet.customers, "opportunities": wallet.opportunity_count,
            "totals": [{"currency": t.currency, "ours": t.ours, "spend": t.spend, "share": _fraction(t.share)} for t in wallet.totals],
            "count": len(wallet.rows), "next": following, "previous": before,
            "results": [{
                "customer": r.customer_id, "customer_code": r.code, "customer_name": r.name, "value_class": r.value_class or None,
                "category": r.category, "currency": r.currency, "ours": r.ours, "ours_previous": r.ours_previous, "spend": r.spend,
                "share": _fraction(r.share), "our_growth": _fraction(r.our_growth), "their_growth_pct": r.their_growth,
                "their_growth_source": r.their_growth_source, "room": r.room, "is_opportunity": r.is_opportunity,
            } for r in rows[:limit]],
        }
        return Response(s.WalletReportSerializer(data).data)

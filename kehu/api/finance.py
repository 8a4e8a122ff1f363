"""The receivables aging and commission API (issue 14, engineer apifin): the figures of the
aging page (kehu.finance.aging.aging_page) and of the commission page
(kehu.finance.commission.commission_page), from the same selectors with the same scope — the
aging over the customers the user sees, commission by the credited rep (a rep their own, a
manager their teams', finance and admins all). Read-only; every signed-in user, as the pages."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from kehu.api import finance_serializers as s
from kehu.finance import aging, commission


def page_links(request, *, offset: int, limit: int, has_next: bool) -> tuple[str | None, str | None]:
    """(next, previous) links of a limit/offset page."""
    url = replace_query_param(request.build_absolute_uri(), "limit", limit)
    following = replace_query_param(url, "offset", offset + limit) if has_next else None
    if offset <= 0:
        return following, None
    before = max(offset - limit, 0)
    return following, (remove_query_param(url, "offset") if before == 0 else replace_query_param(url, "offset", before))


def query(request, serializer_class) -> dict:
    """The validated query parameters (400 validation_error naming a bad one)."""
    fields = serializer_class().fields
    serializer = serializer_class(data={k: v for k, v in request.query_params.items() if k in fields})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _buckets(currency: str, b) -> dict:
    return {"currency": currency, "current": b.current, "d0_30": b.d0_30, "d31_60": b.d31_60, "d61_90": b.d61_90,
            "d90_plus": b.d90_plus, "overdue": b.overdue, "total": b.total}


def _name(user) -> str | None:
    return None if user is None else (user.get_full_name() or user.username)


class AgingView(APIView):
    @extend_schema(parameters=[s.AgingQuerySerializer], responses={200: s.AgingReportSerializer},
                   summary=_("Receivables aging: company and per-rep totals, one page of customers"),
                   description=_("The aging page's figures for the customers you may see: open receivables and due, "
                                 "unpaid instalments, in buckets by days overdue on as_of."))
    def get(self, request):
        params = query(request, s.AgingQuerySerializer)
        offset, limit = params["offset"], params["limit"]
        report = aging.aging_page(user=request.user, as_of=params.get("as_of"), offset=offset, limit=limit)
        rows = aging.fill_customers(report.rows, user=request.user)
        following, before = page_links(request, offset=offset, limit=limit, has_next=report.has_next)
        data = {
            "as_of": report.as_of,
            "company": [_buckets(currency, b) for currency, b in report.company],
            "reps": [{**_buckets(r.currency, r.buckets), "owner": r.owner_id, "owner_name": _name(r.owner),
                      "customers": r.customers, "at_risk": r.at_risk} for r in report.reps],
            "count": report.total, "next": following, "previous": before,
            "results": [{
                **_buckets(r.currency, r.buckets), "customer": r.customer_id,
                "customer_code": r.customer.code if r.customer else None, "customer_name": r.customer.name if r.customer else None,
                "owner": r.owner_id, "owner_name": _name(r.owner), "is_at_risk": r.is_at_risk,
            } for r in rows],
        }
        return Response(s.AgingReportSerializer(data).data)


class CommissionView(APIView):
    @extend_schema(parameters=[s.CommissionQuerySerializer], responses={200: s.CommissionReportSerializer},
                   summary=_("Commission of a period: per rep, totals, one page of lines"),
                   description=_("The commission page's figures: a rep sees the commission credited to them, a manager "
                                 "their teams', finance and administrators everyone's."))
    def get(self, request):
        params = query(request, s.CommissionQuerySerializer)
        (date_from, date_to), offset, limit = params["period"], params["offset"], params["limit"]
        report = commission.commission_page(user=request.user, date_from=date_from, date_to=date_to, offset=offset, limit=limit)
        following, before = page_links(request, offset=offset, limit=limit, has_next=report.has_next)
        data = {
            "date_from": date_from, "date_to": date_to,
            "reps": [{"rep": t.rep_id, "rep_name": _name(t.rep), "currency": t.currency, "payments": t.lines,
                      "collected": t.collected, "commission": t.commission} for t in report.per_rep],
            "totals": [{"currency": c, "collected": collected, "commission": earned} for c, collected, earned in report.totals],
            "count": report.total, "next": following, "previous": before,
            "results": [{
                "payment_code": line.payment_code, "paid_on": line.paid_on,
                "customer": line.customer_id if line.customer_visible else None, "customer_name": line.customer_name,
                "rep": line.rep_id, "rep_name": _name(line.rep), "currency": line.currency, "collected": line.collected,
                "rate_pct": line.rate_pct, "commission": line.commission,
            } for line in report.lines],
        }
        return Response(s.CommissionReportSerializer(data).data)

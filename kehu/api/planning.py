"""The planning API (issue 14, engineer apifin): targets and weekly forecasts, through the pages'
selectors and services (kehu.planning).

Scope as on the pages (kehu.planning.querysets): a rep sees their own targets and submissions
and their team's target, a manager those of the teams they manage, the director and finance
everyone's and the company's; anything else is 404. Writing a target: whoever the targets page
lets (`can_edit_targets`: administrators and managers), each target as `target_set` allows it
(a manager the reps of their teams); a forecast: the rep themself (`forecast_submit`, all
periods or none)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from kehu.api import filters
from kehu.api import planning_serializers as s
from kehu.api.errors import ServiceError
from kehu.api.scoped import ScopedReads
from kehu.core.money import DEFAULT_CURRENCY
from kehu.planning.errors import PlanningError
from kehu.planning.models import Target
from kehu.planning.periods import forecast_periods
from kehu.planning.permissions import can_edit_targets, can_submit_forecast, can_view_planning
from kehu.planning.querysets import planning_users, submissions_visible_to, targets_visible_to, visible_teams
from kehu.planning.selectors.forecasts import LATEST_ORDER, prefill_many, rep_latest_by_period
from kehu.planning.services.forecasts import forecast_submit
from kehu.planning.services.targets import target_set, target_spread


ScopedViewSet = ScopedReads


@extend_schema_view(
    list=extend_schema(summary=_("Targets you may see")),
    retrieve=extend_schema(summary=_("A target with its monthly breakdown")),
    create=extend_schema(request=s.TargetSetSerializer, responses={200: s.TargetSerializer, 201: s.TargetSerializer},
                         summary=_("Set a target (create or change; administrators any, managers their teams' reps)")),
)
class TargetViewSet(ScopedViewSet):
    serializer_class = s.TargetSerializer
    filter_class = s.TargetFilter
    orderings = {"year": ["year"], "updated_at": ["updated_at"]}

    def get_queryset(self):
        return targets_visible_to(self.request.user).order_by("year", "scope", "id")

    def apply_filters(self, qs, data):
        for name in ("year", "measure", "scope"):
            if data.get(name) is not None:
                qs = qs.filter(**{name: data[name]})
        if data.get("user") is not None:
            qs = qs.filter(user_id=data["user"])
        if data.get("team") is not None:
            qs = qs.filter(team_id=data["team"])
        return qs

    def create(self, request):
        if not can_edit_targets(request.user):
            raise ApiPermissionDenied
        serializer = s.TargetSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        team = user = None
        if data["scope"] == Target.Scope.TEAM:
            team = visible_teams(request.user).filter(pk=data.get("team") or -1).first()
            if team is None:
                raise ValidationError({"team": [_("Choose a team whose targets you may see.")]}, code="does_not_exist")
        if data["scope"] == Target.Scope.USER:
            user = planning_users(request.user).filter(pk=data.get("user") or -1).first()
            if user is None:
                raise ValidationError({"user": [_("Choose a rep whose targets you may see.")]}, code="does_not_exist")
        existed = Target.objects.filter(scope=data["scope"], year=data["year"], measure=data["measure"], team=team, user=user).exists()
        try:
            if data.get("spread"):  # the page's spread tool (kehu.planning.services.targets.target_spread)
                target = target_spread(actor=request.user, scope=data["scope"], year=data["year"], measure=data["measure"],
                                       amount=data["amount"], how=data["spread"], weights=data.get("weights"), team=team, user=user)
            else:
                target = target_set(actor=request.user, scope=data["scope"], year=data["year"], measure=data["measure"],
                                    amount=data["amount"], weights=data.get("weights"), team=team, user=user)
        except PlanningError as exc:
            raise ServiceError(exc.message) from exc
        except PermissionDenied as exc:
            raise ApiPermissionDenied from exc
        return Response(s.TargetSerializer(target).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary=_("Forecast submissions you may see, newest first")),
    retrieve=extend_schema(summary=_("A forecast submission")),
)
class ForecastViewSet(ScopedViewSet):
    serializer_class = s.SubmissionSerializer
    filter_class = s.SubmissionFilter
    sync = False  # a submission is never changed after it is made
    orderings = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_view_planning(request.user):
            raise Http404

    def get_queryset(self):
        return submissions_visible_to(self.request.user).order_by(*LATEST_ORDER)

    def apply_filters(self, qs, data):
        if data.get("user") is not None:
            qs = qs.filter(user_id=data["user"])
        if data.get("period"):
            qs = qs.filter(period=data["period"])
        return qs


class ForecastOpenPeriodsView(APIView):
    @extend_schema(parameters=[OpenApiParameter("user", int, description=_("A rep you may see (default: you, for a rep)."))],
                   responses={200: s.OpenPeriodSerializer(many=True),
                              404: OpenApiResponse(description=_("The rep is not one whose forecast you may see."))},
                   summary=_("The periods open for a forecast today, pre-filled as on the forecast page"))
    def get(self, request):
        if not can_view_planning(request.user):
            raise Http404
        wanted = request.query_params.get("user")
        if wanted:
            rep = planning_users(request.user).filter(pk=filters.record_id(wanted)).first()
            if rep is None:
                raise Http404
        elif request.user.is_rep:
            rep = request.user
        else:
            raise ValidationError({"user": [_("Name the rep.")]}, code="required")
        periods = forecast_periods(timezone.localdate())
        prefilled = prefill_many(rep=rep, periods=periods)
        latest = rep_latest_by_period(rep=rep, periods=periods)
        rows = [{"period": p.label, "start": p.start, "end": p.end, "commit": prefilled[p.label][0],
                 "best_case": prefilled[p.label][1], "currency": DEFAULT_CURRENCY, "latest": latest.get(p.label)} for p in periods]
        return Response(s.OpenPeriodSerializer(rows, many=True).data)


class ForecastSubmitView(APIView):
    @extend_schema(request=s.ForecastSubmitSerializer, responses={201: s.SubmissionSerializer(many=True)},
                   summary=_("Submit your forecast (reps): commit and best case per open period, all or none"))
    def post(self, request):
        if not can_submit_forecast(request.user):
            raise ApiPermissionDenied
        serializer = s.ForecastSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        numbers = {n["period"]: (n["commit"], n["best_case"]) for n in serializer.validated_data["numbers"]}
        try:
            submissions = forecast_submit(actor=request.user, numbers=numbers)
        except PlanningError as exc:
            raise ServiceError(exc.message) from exc
        except PermissionDenied as exc:
            raise ApiPermissionDenied from exc
        return Response(s.SubmissionSerializer(submissions, many=True).data, status=status.HTTP_201_CREATED)


def _figures(x) -> dict:
    return {"commit": x.commit, "adjusted_commit": x.adjusted_commit, "best_case": x.best_case,
            "adjusted_best_case": x.adjusted_best_case, "won": x.won, "open_weighted": x.open_weighted,
            "open_amount": x.open_amount, "weighted": x.weighted, "target": x.target}


def _totals(t) -> dict:
    return {**_figures(t), "team": t.team.pk if t.team else None, "label": t.label, "reps": t.reps, "missing": t.missing,
            "adjusted": t.adjusted}


class ForecastRollupView(APIView):
    @extend_schema(parameters=[s.RollupQuerySerializer],
                   responses={200: s.RollupSerializer, 404: OpenApiResponse(description=_("The team is not one of yours."))},
                   summary=_("The forecast roll-up: each rep's latest commit and best case, adjustments, won, pipeline and target"),
                   description=_("The roll-up page's figures: a manager their teams' reps, the director and finance everyone "
                                 "(a rep their own row); a team not among yours is 404."))
    def get(self, request):
        from kehu.core.models import CompanySettings
        from kehu.planning.periods import parse_period, period_of
        from kehu.planning.selectors.review import resolve_team, rollup

        if not can_view_planning(request.user):
            raise ApiPermissionDenied
        fields = s.RollupQuerySerializer().fields
        query = s.RollupQuerySerializer(data={k: v for k, v in request.query_params.items() if k in fields})
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        text = query.validated_data.get("period")
        try:
            period = parse_period(text, kinds=("month", "quarter")) if text else period_of("quarter", today)
        except PlanningError as exc:
            raise ValidationError({"period": [str(exc.message)]}) from exc
        team = resolve_team(user=request.user, team_id=query.validated_data.get("team"))
        data = rollup(user=request.user, period=period, team=team, today=today)
        body = {
            "period": period.label, "period_start": period.start, "period_end": period.end,
            "currency": CompanySettings.load().default_currency, "team": team.pk if team else None,
            "rows": [{**_figures(r), "user": r.user.pk, "user_name": r.user.get_full_name() or r.user.username,
                      "team": r.user.team_id, "submission": r.submission.pk if r.submission else None,
                      "adjusted": r.adjustment is not None, "is_this_week": r.is_this_week} for r in data.rows],
            "teams": [_totals(t) for t in data.teams],
            "total": _totals(data.total),
        }
        return Response(s.RollupSerializer(body).data)

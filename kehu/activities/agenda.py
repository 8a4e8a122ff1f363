"""Reads for the agenda, the calendar and the manager's team view (DOMAIN.md §6, issue 4).

Every read starts from `Activity.objects.visible_to(user)` / `Customer.objects.visible_to(user)`
and then narrows to the owners the page is about (`Scope`). Dates are calendar days of the
company's time zone (settings.TIME_ZONE); a week is the ISO week, Monday to Sunday.

Each function runs a fixed number of queries, whatever the number of rows: counts and dates
are aggregated in SQL (Count / Max with a filter), lists are capped or paginated.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Max, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Team, User
from kehu.accounts.visibility import managed_user_ids
from kehu.activities import hooks
from kehu.activities.models import Activity
from kehu.core.dates import DATE_MAX, DATE_MIN, clamp, month_end, month_start, parse_date_param
from kehu.core.models import CompanySettings
from kehu.customers.models import Customer

SECTION_LIMIT = 100  # rows shown per agenda section; the heading still counts them all
CALENDAR_LIMIT = 500  # rows per calendar query (a week of a whole company is a lot)
MISSED_LIMIT = 100
PAIRS_LIMIT = 100
LATER_DAYS = 30
LEVELS = [value for value, _label in Activity.VisitLevel.choices]


# --- days ----------------------------------------------------------------------------------

def day_start(day: date) -> datetime:
    """Local midnight at the start of `day`, aware."""
    return timezone.make_aware(datetime.combine(day, time.min))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_day(moment: datetime) -> date:
    """The company-time-zone day of a stored moment. A moment at the very edge of what Python
    holds (9999-12-31 23:00 UTC, written straight into the database) has no local day in
    range: it reads as the last (or first) day there is, so that no page fails on it."""
    try:
        return timezone.localdate(moment)
    except OverflowError:
        return date.max if moment.year > 1 else date.min


# --- whose follow-ups a page shows ------------------------------------------------------------

@dataclass
class Scope:
    """The owners an agenda or calendar shows. `owner_ids` None means every owner the user sees."""

    who: str
    owner_ids: list[int] | None
    label: str
    choices: list[tuple[str, str]] = field(default_factory=list)

    def narrow(self, qs, prefix: str = "owner_id"):
        return qs if self.owner_ids is None else qs.filter(**{f"{prefix}__in": self.owner_ids})


def _sales_users(user):
    """Users whose follow-ups `user` may pick: team members for a manager, every sales user for an admin."""
    qs = User.objects.filter(is_active=True, role__in=[User.Role.REP, User.Role.MANAGER])
    if user.is_admin_role:
        return qs.order_by("username")
    return qs.filter(id__in=managed_user_ids(user)).order_by("username")


def agenda_scope(*, user, who: str | None) -> Scope:
    """Whose planned follow-ups `user` asks for with `who` ("me", "team", "all" or a user id).

    A rep: their own. A manager: their own, their team's ("team") or one team member's.
    An admin: their own, everyone's ("all") or one sales user's. Finance holds no follow-ups
    (404). Asking for someone out of reach is 404, like any record one may not see.
    """
    if not (user.is_authenticated and user.is_active and (user.is_rep or user.is_manager or user.is_admin_role)):
        raise Http404
    who = (who or "me").strip()
    if user.is_rep:
        if who not in ("me", str(user.pk)):
            raise Http404
        return Scope("me", [user.pk], _("My follow-ups"))
    people = list(_sales_users(user).exclude(pk=user.pk).only("id", "username", "name"))
    group = ("team", _("My team")) if user.is_manager and not user.is_admin_role else ("all", _("Everyone"))
    choices = [("me", _("My follow-ups")), group] + [(str(p.pk), str(p)) for p in people]
    if who in ("me", str(user.pk)):
        return Scope("me", [user.pk], choices[0][1], choices)
    if who == group[0]:
        ids = None if group[0] == "all" else managed_user_ids(user)
        return Scope(who, ids, group[1], choices)
    for person in people:
        if who == str(person.pk):
            return Scope(who, [person.pk], str(person), choices)
    raise Http404


# --- agenda ----------------------------------------------------------------------------------

def _planned(*, user, scope: Scope):
    return scope.narrow(Activity.objects.visible_to(user).planned()).select_related("customer", "contact", "owner")


# What an agenda row shows (templates/activities/agenda.html): not the customers' and contacts' whole rows.
AGENDA_ROW_FIELDS = ("due_on", "kind", "visit_level", "summary", "status", "customer", "contact", "owner",
                     "customer__name", "contact__name", "owner__username", "owner__name")


def agenda_sections(*, user, scope: Scope, today: date | None = None) -> list[dict]:
    """Open planned follow-ups in four sections: overdue, due today, the rest of this ISO week,
    later (up to LATER_DAYS ahead). Each: key, title, total, rows (at most SECTION_LIMIT)."""
    today = today or timezone.localdate()
    sunday = week_start(today) + timedelta(days=6)
    horizon = today + timedelta(days=LATER_DAYS)
    ranges = [
        ("overdue", _("Overdue"), Q(due_on__lt=today)),
        # A range, not "= today": SQLite then walks the (owner, status, due_on) index instead of
        # every follow-up of the owner.
        ("today", _("Due today"), Q(due_on__gte=today, due_on__lte=today)),
        ("week", _("This week"), Q(due_on__gt=today, due_on__lte=sunday)),
        ("later", _("Later (next %(days)d days)") % {"days": LATER_DAYS}, Q(due_on__gt=sunday, due_on__lte=horizon)),
    ]
    base = _planned(user=user, scope=scope)
    totals = base.order_by().aggregate(**{key: Count("id", filter=q) for key, _t, q in ranges})
    sections = []
    for key, title, q in ranges:
        rows = list(base.filter(q).only(*AGENDA_ROW_FIELDS).order_by("due_on", "id")[:SECTION_LIMIT])
        for row in rows:
            row.days_late = (today - row.due_on).days
        sections.append({"key": key, "title": title, "total": totals[key], "rows": rows, "capped": totals[key] > len(rows)})
    return sections


# --- calendar --------------------------------------------------------------------------------

def calendar_days(*, user, scope: Scope, view: str, day: date) -> dict:
    """The day or ISO week around `day`: per date its open planned follow-ups (by due date) and
    its logged activities (by time). Two queries, each capped at CALENDAR_LIMIT rows."""
    day = clamp(day)
    if view == "week":
        start = week_start(day)
        end = start + timedelta(days=6)
        step = timedelta(days=7)
    else:
        view, start, end, step = "day", day, day, timedelta(days=1)
    planned = list(_planned(user=user, scope=scope).filter(due_on__gte=start, due_on__lte=end).order_by("due_on", "id")[:CALENDAR_LIMIT])
    done = list(
        scope.narrow(Activity.objects.visible_to(user).done())
        .filter(at__gte=day_start(start), at__lt=day_start(end + timedelta(days=1)))
        .select_related("customer", "contact", "owner")
        .order_by("at", "id")[:CALENDAR_LIMIT]
    )
    days = {start + timedelta(days=i): {"planned": [], "done": []} for i in range((end - start).days + 1)}
    for row in planned:
        days[row.due_on]["planned"].append(row)
    for row in done:
        local = timezone.localtime(row.at)
        days.setdefault(local.date(), {"planned": [], "done": []})["done"].append(row)
    today = timezone.localdate()
    return {
        "view": view,
        "start": start,
        "end": end,
        # Navigation stays within DATE_MIN..DATE_MAX: no link past the first or last period,
        # and each link names a day the page accepts (?date= outside the range reads as today).
        "previous": clamp(start - step) if start > DATE_MIN else None,
        "next": clamp(start + step) if end < DATE_MAX else None,
        "today": today,
        "days": [{"date": d, "is_today": d == today, **items} for d, items in sorted(days.items())],
        "capped": len(planned) >= CALENDAR_LIMIT or len(done) >= CALENDAR_LIMIT,
        "empty": not planned and not done,
    }


# --- visit intervals -------------------------------------------------------------------------

def visit_intervals(*, customer_ids, conf: CompanySettings | None = None) -> dict[int, int | None]:
    """Required visit interval in days per key account: the first VISIT_INTERVAL_PROVIDERS entry
    that names it (the ranking app's tier policies), else the company setting. None or 0: no
    visit required."""
    conf = conf or CompanySettings.load()
    ids = list(customer_ids)
    result: dict[int, int | None] = {}
    for provider in hooks.VISIT_INTERVAL_PROVIDERS:
        for pk, days in (provider(customer_ids=[i for i in ids if i not in result]) or {}).items():
            result.setdefault(pk, days)
    default = conf.key_account_visit_days or None
    return {pk: (result[pk] if pk in result else default) for pk in ids}


def visit_is_overdue(*, last: date | None, since: date, interval: int | None, today: date) -> bool:
    """A key account's visit is overdue when its last visit (or, never visited, the day the
    current owner took it) is more than `interval` days before `today`."""
    if not interval:
        return False
    return (today - (last or since)).days > interval


def _visit_max(level: str | None = None):
    q = Q(activities__status=Activity.Status.DONE, activities__kind=Activity.Kind.VISIT, activities__at__isnull=False)
    if level:
        q &= Q(activities__visit_level=level)
    return Max("activities__at", filter=q)


def key_accounts_last_visits(qs):
    """Annotate customers with last_visit and last_<level> (datetimes of logged visits, or None)."""
    return qs.annotate(last_visit=_visit_max(), **{f"last_{level}": _visit_max(level) for level in LEVELS})


# --- the team view ----------------------------------------------------------------------------

def team_scope(*, user, team_id=None) -> dict:
    """Whose work a manager (teams they manage) or an admin (everyone) reviews; reps and finance 404.

    Returns teams (the choices), team (the chosen one or None) and reps (active sales users,
    the manager included when they hold customers)."""
    if not (user.is_authenticated and user.is_active and (user.is_manager or user.is_admin_role)):
        raise Http404
    teams = Team.objects.all() if user.is_admin_role else user.managed_teams.all()
    teams = list(teams.order_by("name"))
    team = None
    if team_id:
        team = next((t for t in teams if str(t.pk) == str(team_id)), None)
        if team is None:
            raise Http404
    reps = _sales_users(user)
    if team is not None:
        reps = reps.filter(team=team)
    return {"teams": teams, "team": team, "reps": list(reps.select_related("team"))}


def period_from_params(params, *, today: date | None = None) -> dict:
    """period=week|month|custom (from, to): the days reviewed, inclusive. Default: this month."""
    today = today or timezone.localdate()
    period = params.get("period") or "month"
    invalid: list[str] = []
    if period == "week":
        start = week_start(today)
        end = start + timedelta(days=6)
    elif period == "custom":
        first = today.replace(day=1)
        start = parse_date_param(params.get("from"), first)
        end = parse_date_param(params.get("to"), today)
        # a date typed outside the range (or not a date) falls back to the default, and says so
        invalid = [name for name in ("from", "to") if params.get(name) and parse_date_param(params.get(name)) is None]
        if end < start:
            start, end = end, start
        end = min(end, start + timedelta(days=366), DATE_MAX)
    else:
        period = "month"
        start = month_start(today)
        end = month_end(today)
    return {"period": period, "start": start, "end": end, "invalid_dates": invalid}


def team_report(*, user, reps, start: date, end: date, today: date | None = None) -> dict:
    """Per rep in `reps`: logged follow-ups in [start, end] by type, customers followed up,
    planned follow-ups missed (due in the period before today and still open); the missed list;
    who followed up with whom (top PAIRS_LIMIT rep × customer pairs). Five queries."""
    today = today or timezone.localdate()
    ids = [r.pk for r in reps]
    kinds = [value for value, _label in Activity.Kind.choices]
    logged = (
        Activity.objects.visible_to(user)
        .filter(status=Activity.Status.DONE, at__gte=day_start(start), at__lt=day_start(end + timedelta(days=1)), owner_id__in=ids)
    )
    per_rep = {
        row["owner_id"]: row
        for row in logged.order_by().values("owner_id").annotate(
            total=Count("id"), customers=Count("customer_id", distinct=True),
            **{f"kind_{k}": Count("id", filter=Q(kind=k)) for k in kinds},
        )
    }
    missed_until = min(end, today - timedelta(days=1))
    missed_qs = Activity.objects.visible_to(user).planned().filter(owner_id__in=ids, due_on__gte=start, due_on__lte=missed_until)
    missed_counts = dict(missed_qs.order_by().values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    missed = list(missed_qs.select_related("customer", "contact", "owner").order_by("due_on", "id")[:MISSED_LIMIT])
    for row in missed:
        row.days_late = (today - row.due_on).days
    pairs_qs = logged.order_by().values("owner_id", "customer_id", "customer__name", "customer__code").annotate(n=Count("id"), last=Max("at"))
    pairs = list(pairs_qs.order_by("-n", "-last", "customer_id", "owner_id")[:PAIRS_LIMIT])
    pairs_total = pairs_qs.count()
    names = {r.pk: r for r in reps}
    for pair in pairs:
        pair["owner"] = names.get(pair["owner_id"])
    rows = []
    for rep in reps:
        counts = per_rep.get(rep.pk, {})
        rows.append({
            "rep": rep,
            "total": counts.get("total", 0),
            "customers": counts.get("customers", 0),
            "kinds": [(value, counts.get(f"kind_{value}", 0)) for value, _label in Activity.Kind.choices],
            "missed": missed_counts.get(rep.pk, 0),
        })
    return {
        "rows": rows,
        "kinds": [str(label) for _value, label in Activity.Kind.choices],
        "missed": missed,
        "missed_total": sum(missed_counts.values()),
        "pairs": pairs,
        "pairs_total": pairs_total,
        "totals": {
            "total": sum(r["total"] for r in rows),
            "missed": sum(r["missed"] for r in rows),
        },
    }


def visit_coverage(*, user, owner_ids):
    """The key accounts of `owner_ids` that `user` sees, with the last logged visit of each
    level, never-visited and longest-unvisited first (a queryset: paginate it, then
    `visit_coverage_mark` the page)."""
    qs = Customer.objects.visible_to(user).filter(is_key_account=True, owner_id__in=owner_ids)
    return (
        key_accounts_last_visits(qs)
        .select_related("owner")
        .only("id", "code", "name", "owner_id", "owned_since", "created_at", "owner__username", "owner__name")
        .order_by(F("last_visit").asc(nulls_first=True), "id")
    )


def visit_coverage_mark(rows, *, today: date | None = None) -> None:
    """Per row: `levels` — (level label, date or None, overdue?) — and `overdue` for the whole
    account (its last visit of any level against its interval). One settings query."""
    today = today or timezone.localdate()
    intervals = visit_intervals(customer_ids=[r.pk for r in rows])
    for row in rows:
        interval = intervals.get(row.pk)
        since = local_day(row.owned_since or row.created_at)
        row.interval = interval
        row.levels = []
        for value, label in Activity.VisitLevel.choices:
            moment = getattr(row, f"last_{value}")
            day = local_day(moment) if moment else None
            row.levels.append((label, day, bool(interval) and (day is None or (today - day).days > interval)))
        last = local_day(row.last_visit) if row.last_visit else None
        row.last_visit_on = last
        row.overdue = visit_is_overdue(last=last, since=since, interval=interval, today=today)

"""forecasts.csv: ★user, ★period, ★submitted_on, ★commit, best_case.

One row per weekly forecast submission, kept as history (DOMAIN.md §7): each good row becomes a
`ForecastSubmission` with source "import", never an edit of one already in Kehu.

- `user` is a username (in Kehu or a good row of users.csv) with the rep role: only reps
  submit forecasts. An administrator imports anyone's; a manager the reps of the teams they
  manage; other roles may not import this file.
- `period` is a month `2026-06` or a quarter `2026-Q2`; `submitted_on` a date, not after
  today (a submission is recorded after it was made).
- `commit` and `best_case` are amounts from 0 to the money bound, at most 2 decimals;
  best_case may be empty, but not below commit (the submission page's rule).
- A row equal to a submission already in Kehu (user, period, submitted_on, commit and
  best_case) is that submission and changes nothing, so importing a file again changes
  nothing. Rows repeated in the file are matched one for one: a file with the same row twice
  and Kehu with it once creates one more (a rep may submit the same numbers twice a day, and
  the export writes both).
- Submissions of one rep, period and date are recorded in the file's order, so the last line
  is the one "recorded last" that counts.
- A row dated in a forecast week where Kehu carried the rep's number forward replaces the
  carried copy of that week (removed in the same transaction, its adjustments moved to the
  submission it was carried from): `kehu.planning.services.forecasts.forecast_carried_replace`.
"""

from collections import Counter, defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.dataset.importers.base import CREATE, UNCHANGED, Importer, Row, chunked, insert_rows
from kehu.dataset.values import CellError, format_amount, parse_date, parse_money
from kehu.planning.errors import PlanningError
from kehu.planning.models import ForecastSubmission
from kehu.planning.periods import Period, parse_period
from kehu.planning.services.forecasts import forecast_carried_replace

KINDS = ("month", "quarter")


def parse_forecast_period(value: str) -> Period:
    try:
        return parse_period(value, kinds=KINDS)
    except PlanningError:
        raise CellError(_("“%(value)s” is not a period: write a month as 2026-06 or a quarter as 2026-Q2.") % {"value": value[:40]}) from None


class ForecastImporter(Importer):
    file = "forecasts.csv"
    columns = ["user", "period", "submitted_on", "commit", "best_case"]
    required = ["user", "period", "submitted_on", "commit"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        # Each key's lines, in file order: the n-th row of a key is the n-th submission with it.
        self.key_lines: dict[tuple, list[int]] = defaultdict(list)

    def refusal(self):
        if not (self.ctx.is_admin or self.ctx.actor.is_manager):
            return _("Only an administrator or a manager may import forecasts.")
        return None

    @staticmethod
    def _key_of(username, period, day, commit, best_case) -> tuple:
        return (username, period, day, commit, best_case)

    def scan(self, row: Row) -> None:
        try:
            key = self._key_of(
                row.get("user"), parse_forecast_period(row.get("period")).label, parse_date(row.get("submitted_on")),
                parse_money(row.get("commit")), parse_money(row.get("best_case")) if row.get("best_case") else None,
            )
        except CellError:
            return
        self.key_lines[key].append(row.line)

    def parse(self, row: Row) -> dict:
        v = {
            "user": row.get("user"),
            "period": row.parse("period", parse_forecast_period),
            "submitted_on": row.parse("submitted_on", parse_date),
            "commit": row.parse("commit", parse_money),
            "best_case": row.parse("best_case", parse_money),
        }
        if v["submitted_on"] is not None and v["submitted_on"] > timezone.localdate(self.ctx.now):
            row.error("submitted_on", _("A forecast is imported after it was submitted; the date cannot be in the future."))
        if v["commit"] is not None and v["best_case"] is not None and v["best_case"] < v["commit"]:
            row.error("best_case", _("The best case cannot be below the commit."))
        return v

    def key(self, v: dict) -> tuple:
        return self._key_of(v["user"], v["period"].label, v["submitted_on"], v["commit"], v["best_case"])

    def _user_problem(self, username: str) -> str | None:
        user = self.ctx.users().get(username)
        role = self.ctx.user_roles.get(username) or (user or {}).get("role")
        if user is None and username not in self.ctx.planned.get("users.csv", ()):
            return _("No user with the username “%(value)s”.") % {"value": username}
        if role != User.Role.REP:
            return _("User %(value)s is not a sales rep; only reps submit forecasts.") % {"value": username}
        if user is not None and not self.ctx.may_manage_owner(user["id"]):
            return _("User %(value)s is not in a team you manage.") % {"value": username}
        return None

    def _existing(self, parsed: list[dict]) -> Counter:
        """How many submissions in Kehu have each key of `parsed`."""
        users = self.ctx.users()
        ids = {users[v["user"]]["id"] for v in parsed if v["user"] in users}
        periods = {v["period"].label for v in parsed if v["period"] is not None}
        found: Counter = Counter()
        if not ids or not periods:
            return found
        names = {u["id"]: name for name, u in users.items()}
        for batch in chunked(ids):
            rows = ForecastSubmission.objects.filter(user_id__in=batch, period__in=periods).values_list(
                "user_id", "period", "submitted_on", "commit", "best_case")
            for uid, period, day, commit, best_case in rows:
                found[self._key_of(names[uid], period, day, commit, best_case)] += 1
        return found

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        problems: dict[str, str | None] = {}
        existing = self._existing([v for row, v in parsed if not row.bad])
        for row, v in parsed:
            if v["user"]:
                if v["user"] not in problems:
                    problems[v["user"]] = self._user_problem(v["user"])
                if problems[v["user"]]:
                    row.error("user", problems[v["user"]])
            if row.bad:
                continue
            key = self.key(v)
            lines = self.key_lines.get(key, [row.line])
            nth = lines.index(row.line) if row.line in lines else 0
            row.action = UNCHANGED if nth < existing[key] else CREATE

    def write(self, rows: list[Row]) -> None:
        users = self.ctx.users()
        actor_id = self.ctx.actor.pk if self.ctx.actor is not None else None
        objs = []
        for row in rows:
            v = self.parse(row)
            p = v["period"]
            objs.append(ForecastSubmission(
                user_id=users[v["user"]]["id"], period=p.label, period_start=p.start, period_end=p.end,
                submitted_on=v["submitted_on"], recorded_at=self.ctx.now, commit=v["commit"], best_case=v["best_case"],
                source=ForecastSubmission.Source.IMPORT, created_by_id=actor_id,
            ))
        insert_rows(ForecastSubmission, objs)  # in file order: ids follow the lines
        # A carried copy of a week the file now gives a real number for was only a stand-in.
        forecast_carried_replace(submissions=objs, actor=self.ctx.actor)


def export_forecasts(*, user):
    """forecasts.csv rows of the submissions `user` sees (None: all), every source, by
    username, period, date and the order they were recorded."""
    from kehu.planning.querysets import submissions_visible_to

    qs = ForecastSubmission.objects.all() if user is None else submissions_visible_to(user)
    rows = qs.order_by("user__username", "period", "submitted_on", "recorded_at", "id").values_list(
        "user__username", "period", "submitted_on", "commit", "best_case")
    for username, period, day, commit, best_case in rows.iterator(chunk_size=2000):
        yield [username, period, day.isoformat(), format_amount(commit), format_amount(best_case)]

"""targets.csv: ★scope (company, team, user), who (team name or username; empty for the
company), ★year, ★amount, m1 … m12 (optional monthly weights).

A row is the target of its scope, who and year for the measure 业绩 (won amount): the file has
no measure column. Inserted or updated by that key; a key repeated in the file is an error on
its second line. Weights: all empty = even, otherwise an empty weight is 0 (DATASET.md); none
negative, not all zero. The scope accepts its Chinese names (公司, 团队, 个人 …). The team must
be in Kehu already; the user in Kehu or a good row of users.csv. Who may: an administrator any
target, a manager the targets of the reps of the teams they manage — not their own, not a
non-rep member's (kehu.planning.permissions.can_set_target).
"""

from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.dataset.importers.base import CREATE, UNCHANGED, UPDATE, Importer, Row, update_rows
from kehu.dataset.values import CellError, Choices, parse_int, parse_money, parse_text
from kehu.planning.breakdown import weights_problem
from kehu.planning.models import Measure, Target

WEIGHT_COLUMNS = [f"m{i}" for i in range(1, 13)]

SCOPE = Choices(
    Target.Scope.values,
    labels=Target.Scope.choices,
    aliases={
        "公司": "company", "全公司": "company", "企业": "company", "整体": "company",
        "团队": "team", "小组": "team", "部门": "team", "组": "team",
        "个人": "user", "销售": "user", "销售代表": "user", "业务员": "user", "rep": "user", "员工": "user",
    },
)


def weight_text(value) -> str:
    """A weight as stored: "" or the decimal without trailing zeros."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


class TargetImporter(Importer):
    file = "targets.csv"
    columns = ["scope", "who", "year", "amount", *WEIGHT_COLUMNS]
    required = ["scope", "year", "amount"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.first_key: dict[tuple, int] = {}

    def _key(self, row: Row) -> tuple:
        try:
            scope = SCOPE.parse(row.get("scope"))
        except CellError:
            scope = row.get("scope")
        return scope, row.get("who"), row.get("year")

    def scan(self, row: Row) -> None:
        self.first_key.setdefault(self._key(row), row.line)

    def parse(self, row: Row) -> dict:
        v = {
            "scope": row.parse("scope", SCOPE.parse),
            "who": row.parse("who", parse_text, max_length=150) or "",
            "year": row.parse("year", parse_int, low=2000, high=2099),
            "amount": row.parse("amount", parse_money),
        }
        weights = []
        for column in WEIGHT_COLUMNS:
            weights.append(weight_text(row.parse(column, parse_money, places=4)) if row.has(column) else "")
        v["weights"] = weights
        return v

    def _resolve(self, row: Row, v: dict, teams: dict) -> tuple:
        """(team id, user id) of a row, or errors on it."""
        scope, who = v["scope"], v["who"]
        if scope == Target.Scope.COMPANY:
            if who:
                row.error("who", _("A company target names nobody: leave “who” empty."))
            elif not self.ctx.is_admin:
                row.error("scope", _("Only an administrator may set the company's target."))
            return None, None
        if not who:
            row.error("who", _("Name the team or the user of this target."))
            return None, None
        if scope == Target.Scope.TEAM:
            team_id = teams.get(who)
            if team_id is None:
                row.error("who", _("No team called “%(value)s”.") % {"value": who})
            elif not self.ctx.is_admin:
                row.error("scope", _("Only an administrator may set a team's target."))
            return team_id, None
        user = self.ctx.users().get(who)
        if user is None and who not in self.ctx.planned.get("users.csv", ()):
            row.error("who", _("No user with the username “%(value)s”.") % {"value": who})
            return None, None
        if not self.ctx.is_admin:
            # kehu.planning.permissions.can_set_target: a manager sets the targets of the reps of
            # the teams they manage, not their own (managed_ids holds the manager too).
            role = self.ctx.user_roles.get(who) or (user or {}).get("role")
            if user is not None and user["id"] == self.ctx.actor.pk:
                row.error("who", _("You may not set your own target; the director sets it."))
            elif user is None or user["id"] not in self.ctx.managed_ids:
                row.error("who", _("You may set the targets of the reps of your teams only."))
            elif role != User.Role.REP:
                row.error("who", _("User %(value)s is not a sales rep; a manager sets the targets of reps only.") % {"value": who})
        return None, (user or {}).get("id")

    @staticmethod
    def _existing(year_set) -> dict[tuple, Target]:
        found = {}
        for t in Target.objects.filter(year__in=list(year_set), measure=Measure.WON):
            found[(t.scope, t.team_id, t.user_id, t.year)] = t
        return found

    @staticmethod
    def _teams() -> dict[str, int]:
        from kehu.accounts.models import Team

        return dict(Team.objects.values_list("name", "id"))

    def check(self, rows: list[Row]) -> None:
        teams = self._teams()
        parsed = [(row, self.parse(row)) for row in rows]
        existing = self._existing({v["year"] for _r, v in parsed if v["year"]})
        for row, v in parsed:
            key = self._key(row)
            if self.first_key.get(key) != row.line:
                row.error("", _("This target repeats line %(line)d.") % {"line": self.first_key[key]})
            if v["scope"] is None:
                continue
            team_id, user_id = self._resolve(row, v, teams)
            problem = weights_problem(v["weights"]) if not row.bad else None
            if problem == "zero":
                row.error("m1", _("The monthly weights are all zero: leave them all empty for an even split."))
            if row.bad:
                continue
            old = existing.get((v["scope"], team_id, user_id, v["year"])) if (v["scope"] == Target.Scope.COMPANY or team_id or user_id) else None
            if old is None:
                row.action = CREATE
            else:
                row.action = UPDATE if (old.amount != v["amount"] or list(old.weights or [""] * 12) != v["weights"]) else UNCHANGED

    def write(self, rows: list[Row]) -> None:
        self.ctx.forget_users()
        users, teams = self.ctx.users(), self._teams()
        parsed = [self.parse(row) for row in rows]
        existing = self._existing({v["year"] for v in parsed})
        actor = self.ctx.actor
        created, updated = [], []
        for v in parsed:
            team_id = teams.get(v["who"]) if v["scope"] == Target.Scope.TEAM else None
            user_id = users[v["who"]]["id"] if v["scope"] == Target.Scope.USER else None
            old = existing.get((v["scope"], team_id, user_id, v["year"]))
            if old is None:
                created.append(Target(scope=v["scope"], team_id=team_id, user_id=user_id, year=v["year"], measure=Measure.WON,
                                      amount=v["amount"], weights=v["weights"], updated_by=actor))
            else:
                old.amount, old.weights, old.updated_by = v["amount"], v["weights"], actor
                old.updated_at = self.ctx.now
                updated.append(old)
        Target.objects.bulk_create(created, batch_size=500)
        update_rows(Target, updated, ["amount", "weights", "updated_by", "updated_at"])


def export_targets(*, user):
    """targets.csv rows of the won-amount targets `user` sees (the file has no measure column)."""
    from kehu.planning.selectors.targets import targets_export_rows

    for cells, _measure in targets_export_rows(user=user, measure=Measure.WON):
        yield cells

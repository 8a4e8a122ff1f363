"""users.csv: ★username, ★name, ★role, team.

A rep's (or finance's, or an admin's) team is the team they belong to; a manager's teams,
separated by `;`, are the teams they manage. Teams are created as needed. New users get an
unusable password: an administrator sets one (or `kehu demo` sets the demo passwords).
Only administrators import users.
"""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.accounts.models import Team, User
from kehu.accounts.services import role_flags
from kehu.dataset.choices import ROLE
from kehu.dataset.importers.base import CREATE, UNCHANGED, UPDATE, Importer, Row, chunked
from kehu.dataset.values import CellError, parse_text

_username_validator = UnicodeUsernameValidator()


def parse_username(value: str) -> str:
    value = parse_text(value, max_length=150)
    try:
        _username_validator(value)
    except ValidationError:
        raise CellError(_("“%(value)s” is not a valid username: use letters, digits and @ . + - _ only.") % {"value": value}) from None
    return value


def parse_teams(value: str) -> list[str]:
    names = []
    for part in value.split(";"):
        name = part.strip()
        if name and name not in names:
            names.append(parse_text(name, max_length=100))
    return names


class UserImporter(Importer):
    file = "users.csv"
    columns = ["username", "name", "role", "team"]
    required = ["username", "name", "role"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.first_line: dict[str, int] = {}

    def refusal(self):
        if not self.ctx.is_admin:
            return _("Only an administrator may import users.")
        return None

    def scan(self, row: Row) -> None:
        self.first_line.setdefault(row.get("username"), row.line)

    def planned_key(self, row: Row):
        return row.get("username")

    def parse(self, row: Row) -> dict:
        values = {
            "username": row.parse("username", parse_username),
            "name": row.parse("name", parse_text, max_length=100),
            "role": row.parse("role", ROLE.parse),
        }
        if row.has("team"):
            teams = row.parse("team", parse_teams) or []
            if len(teams) > 1 and values["role"] not in (None, User.Role.MANAGER):
                row.error("team", _("Only a manager may list several teams (the teams they manage); this user belongs to one team."))
            values["teams"] = teams
        return values

    def _existing(self, usernames: list[str]) -> dict[str, dict]:
        found = {}
        for batch in chunked(usernames):
            for u in User.objects.filter(username__in=batch).values("id", "username", "name", "role", "team__name"):
                u["managed"] = set()
                found[u["username"]] = u
        by_id = {u["id"]: u for u in found.values()}
        for batch in chunked(list(by_id)):
            for user_id, team_name in Team.managers.through.objects.filter(user_id__in=batch).values_list("user_id", "team__name"):
                by_id[user_id]["managed"].add(team_name)
        return found

    @staticmethod
    def _changes(old: dict, values: dict) -> dict:
        changes = {}
        for field in ("name", "role"):
            if old[field] != values[field]:
                changes[field] = [old[field], values[field]]
        if "teams" in values:
            if values["role"] == User.Role.MANAGER:
                if old["managed"] != set(values["teams"]):
                    changes["managed_teams"] = [sorted(old["managed"]), sorted(values["teams"])]
            else:
                team = values["teams"][0] if values["teams"] else None
                if old["team__name"] != team:
                    changes["team"] = [old["team__name"], team]
                if old["managed"]:
                    changes["managed_teams"] = [sorted(old["managed"]), []]
        return changes

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        existing = self._existing([v["username"] for _r, v in parsed if v["username"]])
        actor = self.ctx.actor
        for row, values in parsed:
            username = values["username"]
            if username and self.first_line.get(username) != row.line:
                row.error("username", _("This username already appears on line %(line)d.") % {"line": self.first_line[username]})
            if row.bad:
                continue
            self.ctx.user_roles[username] = values["role"]
            old = existing.get(username)
            if old is None:
                row.action = CREATE
                continue
            changes = self._changes(old, values)
            if actor is not None and old["id"] == actor.pk and "role" in changes:
                row.error("role", _("You cannot change your own role by an import."))
                continue
            row.action = UPDATE if changes else UNCHANGED

    def finish_check(self) -> None:
        for username, line in self.first_line.items():
            if self.is_bad(line):
                self.ctx.user_roles.pop(username, None)

    def _team_ids(self, names: set[str]) -> dict[str, int]:
        ids = dict(Team.objects.filter(name__in=names).values_list("name", "id"))
        missing = [Team(name=n) for n in sorted(names) if n not in ids]
        if missing:
            Team.objects.bulk_create(missing)
            ids.update(Team.objects.filter(name__in=[t.name for t in missing]).values_list("name", "id"))
        return ids

    def write(self, rows: list[Row]) -> None:
        parsed = [self.parse(row) for row in rows]
        existing = self._existing([v["username"] for v in parsed])
        team_ids = self._team_ids({name for v in parsed for name in v.get("teams", [])})
        to_create, with_team, without_team = [], [], []
        for values in parsed:
            teams = values.get("teams")
            # A manager's teams are the ones they manage; anyone else's is the one they belong to.
            sets_member_team = teams is not None and values["role"] != User.Role.MANAGER
            member_team = team_ids[teams[0]] if sets_member_team and teams else None
            old = existing.get(values["username"])
            if old is None:
                to_create.append(User(
                    username=values["username"], name=values["name"], role=values["role"],
                    team_id=member_team, password=make_password(None), **role_flags(values["role"]),
                ))
            elif self._changes(old, values):
                user = User(id=old["id"], username=values["username"], name=values["name"], role=values["role"],
                            team_id=member_team, **role_flags(values["role"]))
                (with_team if sets_member_team else without_team).append(user)
        User.objects.bulk_create(to_create, batch_size=500)
        User.objects.bulk_update(with_team, ["name", "role", "team", "is_staff", "is_superuser"], batch_size=500)
        User.objects.bulk_update(without_team, ["name", "role", "is_staff", "is_superuser"], batch_size=500)

        # Managed teams: exactly the listed ones for managers; none for everyone else.
        ids = dict(User.objects.filter(username__in=[v["username"] for v in parsed]).values_list("username", "id"))
        through = Team.managers.through
        sets = {ids[v["username"]]: v for v in parsed if "teams" in v}
        if sets:
            through.objects.filter(user_id__in=list(sets)).delete()
            through.objects.bulk_create([
                through(user_id=user_id, team_id=team_ids[name])
                for user_id, v in sets.items() if v["role"] == User.Role.MANAGER
                for name in v["teams"]
            ])

    def finish_write(self) -> None:
        self.ctx.forget_users()

"""kehu targets YEAR [--who NAME] [--measure won|collections] [--json] (DATASET.md): the breakdown
of DOMAIN.md §7 of the company's target (no --who), a team's (its name) or a rep's (username)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.core.money import format_money
from kehu.planning.breakdown import breakdown
from kehu.planning.errors import PlanningError
from kehu.planning.models import Measure, Target
from kehu.planning.selectors.targets import target_of
from kehu.planning.services.targets import clean_year


def scope_of(name: str):
    """(scope, team, user) that `--who` names: a username, else a team's name; the company
    without a name."""
    if not name:
        return Target.Scope.COMPANY, None, None
    from kehu.accounts.models import Team, User

    user = User.objects.filter(username=name).first()
    if user is not None:
        return Target.Scope.USER, None, user
    team = Team.objects.filter(name=name).first()
    if team is not None:
        return Target.Scope.TEAM, team, None
    raise CommandError(_("Nobody and no team is called “%(value)s”.") % {"value": name}, returncode=2)


class Command(BaseCommand):
    help = "The breakdown (DOMAIN.md §7) of a year's target to halves, quarters, months and ISO weeks."

    def add_arguments(self, parser):
        parser.add_argument("year", help="the year, e.g. 2026")
        parser.add_argument("--who", default="", help="a username or a team name (default: the company)")
        parser.add_argument("--measure", default=Measure.WON, choices=Measure.values, help="won (default) or collections")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **opts):
        try:
            year = clean_year(opts["year"])
        except PlanningError as exc:
            raise CommandError(str(exc), returncode=2) from None
        scope, team, user = scope_of(opts["who"])
        target = target_of(scope=scope, year=year, measure=opts["measure"], team=team, user=user)
        if target is None:
            raise CommandError(_("No target for %(who)s in %(year)d.") % {"who": opts["who"] or _("the company"), "year": year}, returncode=1)
        rows = breakdown(target.year, target.amount, target.weights)
        if opts["json"]:
            self.stdout.write(json.dumps(rows.as_json(), ensure_ascii=False, indent=1))
            return
        self.stdout.write(_("Target %(year)d: %(amount)s") % {"year": year, "amount": format_money(rows.amount)})
        for title, lines in ((pgettext("targets", "Halves"), rows.halves), (pgettext("targets", "Quarters"), rows.quarters), (pgettext("targets", "Months"), rows.months), (pgettext("targets", "Weeks"), rows.weeks)):
            self.stdout.write(title)
            for period, amount in lines:
                self.stdout.write(f"  {period.label}  {format_money(amount)}")

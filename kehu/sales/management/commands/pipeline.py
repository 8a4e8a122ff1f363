"""kehu pipeline --from DATE --to DATE [--who NAME] [--json] (DATASET.md): the weighted pipeline
of DOMAIN.md §7 for the company, a team or a rep."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kehu.core.dates import parse_date_param
from kehu.core.money import format_money
from kehu.sales.models import Opportunity
from kehu.sales.selectors import weighted_pipeline


def owner_filter(name: str | None):
    """The owners `--who` names: a username, else a team's name (its members); None = everyone."""
    if not name:
        return None
    from kehu.accounts.models import Team, User

    user = User.objects.filter(username=name).first()
    if user is not None:
        return [user.pk]
    team = Team.objects.filter(name=name).first()
    if team is not None:
        return list(team.members.values_list("pk", flat=True))
    raise CommandError(_("No user or team called “%(value)s”.") % {"value": name}, returncode=2)


class Command(BaseCommand):
    help = "The weighted pipeline (DOMAIN.md §7) of a period, for the company, a team or a rep."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD (inclusive)")
        parser.add_argument("--who", default="", help="a username or a team name (default: the company)")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **opts):
        date_from, date_to = parse_date_param(opts["date_from"]), parse_date_param(opts["date_to"])
        if date_from is None or date_to is None:
            raise CommandError(_("Enter dates as YYYY-MM-DD between 2000-01-01 and 2099-12-31."), returncode=2)
        if date_to < date_from:
            raise CommandError(_("The period ends before it starts."), returncode=2)
        opportunities = Opportunity.objects.all()
        owners = owner_filter(opts["who"])
        if owners is not None:
            opportunities = opportunities.filter(owner_id__in=owners)
        sums = weighted_pipeline(opportunities=opportunities, date_from=date_from, date_to=date_to)
        if opts["json"]:
            self.stdout.write(json.dumps({"from": date_from.isoformat(), "to": date_to.isoformat(), **sums.as_json()}, ensure_ascii=False, indent=1))
            return
        self.stdout.write(_("Weighted pipeline %(from)s – %(to)s") % {"from": date_from.isoformat(), "to": date_to.isoformat()})
        self.stdout.write(_("Open, weighted: %(amount)s") % {"amount": format_money(sums.open_weighted)})
        self.stdout.write(_("Won: %(amount)s") % {"amount": format_money(sums.won)})
        self.stdout.write(_("Total: %(amount)s") % {"amount": format_money(sums.total)})

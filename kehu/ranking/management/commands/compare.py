"""kehu compare RUN_A RUN_B [--json] (DATASET.md): who entered, left, was promoted or demoted."""


from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kehu.ranking.errors import RankingError
from kehu.core.exactjson import dumps
from kehu.ranking.models import EvaluationRun
from kehu.ranking.selectors import runs_compare


class Command(BaseCommand):
    help = "Compare two evaluation runs of the same model: who entered, left, was promoted or demoted."

    def add_arguments(self, parser):
        parser.add_argument("run_a", type=int, help="the earlier run's number")
        parser.add_argument("run_b", type=int, help="the later run's number")
        parser.add_argument("--json", action="store_true", help="print the comparison as JSON")

    def _run(self, pk):
        run = EvaluationRun.objects.filter(pk=pk).first()
        if run is None:
            raise CommandError(_("There is no evaluation run %(run)d.") % {"run": pk}, returncode=2)
        return run

    def handle(self, *args, **opts):
        run_a, run_b = self._run(opts["run_a"]), self._run(opts["run_b"])
        try:
            diff = runs_compare(run_a, run_b)
        except RankingError as e:
            raise CommandError(str(e), returncode=2) from None
        if opts["json"]:
            self.stdout.write(dumps(diff))
            return
        self.stdout.write(_("Entered (%(count)d): %(codes)s") % {"count": len(diff["entered"]), "codes": ", ".join(diff["entered"]) or "—"})
        self.stdout.write(_("Left (%(count)d): %(codes)s") % {"count": len(diff["left"]), "codes": ", ".join(diff["left"]) or "—"})
        for key, label in (("promoted", _("Promoted")), ("demoted", _("Demoted"))):
            moves = diff[key]
            self.stdout.write(f"{label} ({len(moves)}):")
            for m in moves:
                self.stdout.write(f"  {m['customer']}: {m['from']} → {m['to']}")

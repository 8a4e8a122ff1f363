"""kehu seed [--customers N] [--order-lines N] [--activities N] [--opportunities N] [--weeks N]
[--as-of DATE] [--password P] [--into-existing] [--quiet] — a realistic company in bulk (kehu.dataset.seed)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Fill an empty database with a realistic company of the given size (for trying Kehu out and benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--order-lines", type=int, default=1_000_000)
        parser.add_argument("--activities", type=int, default=1_000_000)
        parser.add_argument("--opportunities", type=int, default=20_000)
        parser.add_argument("--weeks", type=int, default=104, help="weeks of forecast submissions")
        parser.add_argument("--as-of", help="the seed's today (YYYY-MM-DD; default: today)")
        parser.add_argument("--password", help="the seeded users' password (default: none, they cannot log in)")
        parser.add_argument("--into-existing", action="store_true",
                            help="seed even though the database already has customers (they get mixed with the seed)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        from kehu.accounts.models import User
        from kehu.customers.models import Customer
        from kehu.dataset.seed import Progress, Sizes, counts, seed

        for name in ("customers", "order_lines", "activities", "opportunities", "weeks"):
            if opts[name] < 0:
                raise CommandError(_("%(option)s cannot be negative.") % {"option": "--" + name.replace("_", "-")}, returncode=2)
        if opts["customers"] < 1:
            raise CommandError(_("A seed needs at least one customer."), returncode=2)
        as_of = None
        if opts["as_of"]:
            as_of = parse_date(opts["as_of"])
            if as_of is None:
                raise CommandError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": opts["as_of"]}, returncode=2)
        if Customer.objects.exists() and not opts["into_existing"]:
            raise CommandError(
                _("This database already has customers: a seed would mix made-up data into them. Seed an empty database, "
                  "or run again with --into-existing if that is what you want."),
                returncode=2,
            )
        if User.objects.filter(username__startswith="bench_").exists():
            raise CommandError(_("This database was seeded before (its bench_ users exist). Seed an empty database."), returncode=2)
        sizes = Sizes(customers=opts["customers"], order_lines=opts["order_lines"], activities=opts["activities"],
                      opportunities=opts["opportunities"], weeks=opts["weeks"])
        progress = Progress(self.stderr._out, enabled=not opts["quiet"] and opts["verbosity"] > 0)
        timings = seed(sizes, as_of=as_of, password=opts["password"], progress=progress)
        if opts["verbosity"] > 0:
            self.stdout.write(", ".join(f"{label} {n:,}" for label, n in counts().items()))
            self.stdout.write(self.style.SUCCESS(_("Seeded in %(seconds).1f s.") % {"seconds": timings["total"]}))

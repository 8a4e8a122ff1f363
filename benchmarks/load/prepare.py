"""The company the load test works in (run by `python -m benchmarks.load` in a child process, with
the database in KEHU_SQLITE_PATH or DATABASE_URL):

    python -m benchmarks.load.prepare --password P [--customers N --order-lines N --activities N
        --opportunities N --weeks N]

A database without the seed's bench_ users (a new, migrated one) is seeded by `kehu seed` with
the given sizes (reps: customers // 1000, at least 6; 2 teams with a manager each at up to 59
reps); a seeded one is reused. The bench_ users get the password P (one hash for all), any
log-in lock from an earlier run is lifted, and the accounts by role are printed as JSON on the
last line: {"rep": [...], "manager": [...], "finance": [...], "director": [...]}.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--password", required=True)
    parser.add_argument("--customers", type=int, default=46_000)
    parser.add_argument("--order-lines", type=int, default=200_000)
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--opportunities", type=int, default=8_000)
    parser.add_argument("--weeks", type=int, default=12)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from axes.models import AccessAttempt, AccessFailureLog
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from kehu.accounts.models import User

    bench = User.objects.filter(username__startswith="bench_")
    if not bench.exists():
        call_command("seed", customers=args.customers, order_lines=args.order_lines, activities=args.activities,
                     opportunities=args.opportunities, weeks=args.weeks, password=args.password, quiet=True, verbosity=0)
    else:
        bench.update(password=make_password(args.password))
    AccessAttempt.objects.all().delete()
    AccessFailureLog.objects.all().delete()
    roles = {"rep": User.Role.REP, "manager": User.Role.MANAGER, "finance": User.Role.FINANCE, "director": User.Role.ADMIN}
    accounts = {name: list(bench.filter(role=role, is_active=True).order_by("username").values_list("username", flat=True))
                for name, role in roles.items()}
    print(json.dumps(accounts))
    return 0


if __name__ == "__main__":
    sys.exit(main())

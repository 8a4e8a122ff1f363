"""kehu export PATH [--format csv|xlsx] [--user USERNAME] [--json] (DATASET.md)."""

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kehu.dataset.export import FORMATS, dataset_export
from kehu.dataset.management.commands._common import acting_user


class Command(BaseCommand):
    help = "Export the users, customers, contacts and products a user may see as a Kehu dataset."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a folder for CSV files (or a .zip), or an .xlsx file")
        parser.add_argument("--format", choices=FORMATS, help="csv (default) or xlsx; a path ending .xlsx means xlsx")
        parser.add_argument("--user", help="export what this user may see (default: everything, as an administrator)")
        parser.add_argument("--json", action="store_true", help="print the row counts as JSON")

    def handle(self, *args, **opts):
        user = acting_user(opts["user"])
        counts = dataset_export(user=user, path=opts["path"], fmt=opts["format"])
        if opts["json"]:
            self.stdout.write(json.dumps({"exported": counts}, ensure_ascii=False))
            return
        for name, count in counts.items():
            self.stdout.write(_("%(file)s: %(count)d rows") % {"file": name, "count": count})
        self.stdout.write(self.style.SUCCESS(_("Exported to %(path)s.") % {"path": opts["path"]}))

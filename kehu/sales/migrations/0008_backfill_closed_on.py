"""Every won or lost opportunity has the day it was closed (`closed_on`): the pipeline board and
the won sums count a won deal in the period of that day (DOMAIN.md §7). Opportunities closed by
the app or an import always had it; one left without it (a stage made "closed" in the admin while
opportunities were in it) gets the day of its last move into its stage from the stage history,
else the day it was created."""

from django.db import migrations
from django.utils import timezone


def backfill(apps, schema_editor):
    Opportunity = apps.get_model("sales", "Opportunity")
    Change = apps.get_model("sales", "OpportunityStageChange")
    missing = list(Opportunity.objects.filter(stage__is_closed=True, closed_on__isnull=True).only("pk", "stage_id", "created_at"))
    for opp in missing:
        change = Change.objects.filter(opportunity_id=opp.pk, to_stage_id=opp.stage_id).order_by("-at", "-id").first()
        moment = change.at if change is not None else opp.created_at
        opp.closed_on = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    Opportunity.objects.bulk_update(missing, ["closed_on"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0007_verbose_names"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

"""`Opportunity.push_count`: how many times the expected close date moved to a later month
(a deal pushed out twice or more is slipping, issue 11). Backfilled from the audit trail: each
change of expected_close_on [old, new] with both dates set and new in a later month than old,
except the changes an import made (verb "import"), which the live count does not count either."""

from datetime import date

from django.db import migrations, models


def later_month(old, new) -> bool:
    try:
        before, after = date.fromisoformat(str(old)[:10]), date.fromisoformat(str(new)[:10])
    except (TypeError, ValueError):
        return False
    return (after.year, after.month) > (before.year, before.month)


def backfill(apps, schema_editor):
    Opportunity = apps.get_model("sales", "Opportunity")
    AuditEvent = apps.get_model("core", "AuditEvent")
    counts: dict[int, int] = {}
    # Imports (verb "import") are not pushes: the live count (opportunity_update) skips them too.
    events = (AuditEvent.objects.filter(object_type="opportunity", changes__has_key="expected_close_on")
              .exclude(verb="import")
              .values_list("object_id", "changes").iterator(chunk_size=2000))
    for object_id, changes in events:
        pair = (changes or {}).get("expected_close_on")
        if isinstance(pair, list) and len(pair) == 2 and pair[0] and pair[1] and later_month(pair[0], pair[1]):
            counts[object_id] = counts.get(object_id, 0) + 1
    ids = sorted(counts)
    for start in range(0, len(ids), 500):
        rows = list(Opportunity.objects.filter(pk__in=ids[start:start + 500]).only("pk"))
        for opp in rows:
            opp.push_count = counts[opp.pk]
        Opportunity.objects.bulk_update(rows, ["push_count"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0005_verbose_names"),
        ("sales", "0008_backfill_closed_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="push_count",
            field=models.PositiveIntegerField(default=0, verbose_name="times pushed out"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

"""A covering index for the reports' counts of customers moved into a stage in a period (rep
activity, what it takes: issue 12's speed)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0011_reports_speed_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customerstagechange",
            index=models.Index(fields=["to_stage", "at", "customer"], name="stagechange_stage_at_cust"),
        ),
    ]

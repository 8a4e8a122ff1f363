# The funnel report reads the stage changes of a period (opportunity, from, to, at) from this index
# alone, in `at` order, instead of a table row per change.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0016_orders_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="opportunitystagechange",
            index=models.Index(fields=["at", "opportunity", "from_stage", "to_stage"], name="stagechange_period_idx"),
        ),
    ]

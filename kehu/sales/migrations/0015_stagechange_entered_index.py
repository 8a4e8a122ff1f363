# When a deal entered each stage (the funnel report's velocity), read from the index alone.
# IF NOT EXISTS: the benchmark databases of issue 12 were given this index by hand.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0014_wallet_category_revenue_month"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'CREATE INDEX IF NOT EXISTS "stagechange_entered_idx" ON "sales_opportunitystagechange" ("opportunity_id", "to_stage_id", "at")',
                    reverse_sql='DROP INDEX IF EXISTS "stagechange_entered_idx"',
                ),
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="opportunitystagechange",
                    index=models.Index(fields=["opportunity", "to_stage", "at"], name="stagechange_entered_idx"),
                ),
            ],
        ),
    ]

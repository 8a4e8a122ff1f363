"""PostgreSQL: the lead-source summaries kept by statement-level triggers (one grouped upsert per
statement) instead of row-level ones, which made a 20,000-customer import take 70 s
(kehu/reports/source_cells.py). SQLite keeps its row triggers (reinstalled as they were)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kehu.reports import source_cells

    source_cells.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_verbose_names")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

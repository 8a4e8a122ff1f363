from django.db import migrations


def install(apps, schema_editor):
    from kehu.customers import search

    search.install(schema_editor)


def uninstall(apps, schema_editor):
    from kehu.customers import search

    search.uninstall(schema_editor)


class Migration(migrations.Migration):
    """The customer search index (kehu/customers/search.py): on SQLite FTS5 trigram tables, a
    table of one- and two-character pieces and the triggers that keep them on every write; on
    PostgreSQL pg_trgm and piece-array expression indexes. Filled from the existing rows."""

    dependencies = [
        ("customers", "0015_stage_months"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]

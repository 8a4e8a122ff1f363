from django.db import migrations


def install(apps, schema_editor):
    from kehu.customers import search

    search.install_opportunity_titles(schema_editor)


def uninstall(apps, schema_editor):
    from kehu.customers import search

    search.install_opportunity_titles(schema_editor, drop=True)


class Migration(migrations.Migration):
    """The top bar's search of opportunity titles through an index (kehu/customers/search.py,
    `opportunity_match_q`): SQLite an index on (title, code); PostgreSQL pg_trgm and the piece
    array of UPPER(title) (the function kehu_search_grams of customers 0016)."""

    dependencies = [
        ("customers", "0016_search_index"),
        ("sales", "0017_stagechange_period_index"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]

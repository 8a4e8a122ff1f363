from django.db import migrations


def forward(apps, schema_editor):
    from kehu.customers import search_bulk

    search_bulk.pieces_by_value(schema_editor)


def backward(apps, schema_editor):
    from kehu.customers import search_bulk

    search_bulk.pieces_by_value(schema_editor, reverse=True)


class Migration(migrations.Migration):
    """SQLite's search pieces without their (ref_id, kind) index: the DELETE and UPDATE triggers
    remove a row's pieces by the pieces of its old value, through the primary key
    (kehu/customers/search_bulk.py, `pieces_by_value`). Half the B-tree work of every piece an
    import writes. PostgreSQL: nothing to do."""

    dependencies = [
        ("customers", "0019_new_customers_index"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]

"""PostgreSQL only: a covering index of each customer's lead source and referrer columns by id,
so the lead-sources report's one join of the period's revenue (summed per customer) to its
customers reads this small index alone instead of every customer row (docs/performance.md "Lead
sources, second pass"). SQLite answers that join by id from the table as fast as from such an
index (measured), so none is made there. Not in the model's Meta: Django's `Index(include=…)` is
PostgreSQL-only and warns elsewhere."""

from django.db import migrations

NAME = "customer_revenue_keys_idx"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON customers_customer (id) "
                              "INCLUDE (lead_source, referrer_customer_id, referrer_contact_id, referrer_agent)")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):

    dependencies = [("customers", "0017_list_order_index")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]

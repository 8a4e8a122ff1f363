from django.db import migrations

# PostgreSQL's `*_like` indexes (varchar_pattern_ops) that Django adds beside every indexed
# CharField, on customer columns no query ever compares with LIKE 'prefix%': choices and
# categories (province, industry, pyramid tier, value class) and columns only ever compared
# for equality (USCC, normalised name and phone: the plain B-tree answers those). Read by no
# page of `make bench` (pg_stat_user_indexes over a whole run), kept up to date by every write:
# 0.1 of the ~3 server CPU seconds of an import of 20,000 customers (issue 13). Kept: code
# (the sequences' anchored regex) and name_initials (the search's prefix). Django drops such an
# index with IF EXISTS when a field changes, so their absence is safe for later migrations.
LIKE_INDEXES = [
    ("customers_customer_province_d970d620_like", "province"),
    ("customers_customer_industry_0d44e2e6_like", "industry"),
    ("customers_customer_uscc_1805c157_like", "uscc"),
    ("customers_customer_name_normalized_5e1440d5_like", "name_normalized"),
    ("customers_customer_phone_normalized_36aff25e_like", "phone_normalized"),
    ("customers_customer_pyramid_tier_ba6ecdd7_like", "pyramid_tier"),
    ("customers_customer_value_class_6af6a07f_like", "value_class"),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in LIKE_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in LIKE_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON customers_customer ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0020_search_pieces_by_value"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    """The share-of-wallet report (kehu/reports/selectors/wallet.py) reads one year's spend rows
    and their customers first: an index on (year, customer)."""

    dependencies = [
        ("customers", "0012_stagechange_speed_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="categoryspend",
            index=models.Index(fields=["year", "customer"], name="category_spend_year_customer"),
        ),
    ]

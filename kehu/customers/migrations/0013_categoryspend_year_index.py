from django.db import migrations, models


class Migration(migrations.Migration):
    """The share-of-wallet report (kehu/reports/selectors/wallet.py) reads one year's spend rows
    and their customers first: an index on (year, customer)."""

    dependencies = [
        ("customers", "0010_customer_buying_factors"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="categoryspend",
            index=models.Index(fields=["year", "customer"], name="category_spend_year_customer"),
        ),
    ]

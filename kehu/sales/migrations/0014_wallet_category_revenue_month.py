# The share-of-wallet summary (kehu.sales.summaries keeps it from now on).

import django.db.models.deletion
import kehu.core.fields
from django.db import migrations, models
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth


def fill(apps, schema_editor):
    """The summary of the lines already stored, a range of customers at a time."""
    OrderLine = apps.get_model("sales", "OrderLine")
    CategoryRevenueMonth = apps.get_model("sales", "CategoryRevenueMonth")
    Customer = apps.get_model("customers", "Customer")
    ids = Customer.objects.order_by("pk").values_list("pk", flat=True)
    first, last = ids.first(), ids.last()
    if first is None:
        return
    lo = first
    while lo <= last:
        hi = lo + 5000
        rows = (OrderLine.objects.filter(order__customer_id__gte=lo, order__customer_id__lt=hi).order_by()
                .annotate(c=F("order__customer_id"), k=F("product__category"), m=TruncMonth("order__order_date"), cur=F("order__currency"))
                .values("c", "k", "m", "cur").annotate(revenue=Sum("revenue"), n=Count("pk")))
        CategoryRevenueMonth.objects.bulk_create(
            [CategoryRevenueMonth(customer_id=r["c"], category=r["k"], month=r["m"], currency=r["cur"], revenue=r["revenue"], lines=r["n"])
             for r in rows], batch_size=1000)
        lo = hi


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_official_region_names'),
        ('sales', '0013_board_card_order_idx'),
    ]

    operations = [
        migrations.CreateModel(
            name='CategoryRevenueMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category', models.CharField(blank=True, max_length=100, verbose_name='category')),
                ('month', models.DateField(verbose_name='month (its first day)')),
                ('currency', models.CharField(default='CNY', max_length=3, verbose_name='currency')),
                ('revenue', kehu.core.fields.MoneyField(verbose_name='revenue')),
                ('lines', models.PositiveIntegerField(default=0, verbose_name='order lines')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer', verbose_name='customer')),
            ],
            options={
                'verbose_name': 'monthly revenue summary by category',
                'verbose_name_plural': 'monthly revenue summary by category',
                'indexes': [models.Index(fields=['customer', 'month', 'category', 'currency', 'revenue'], name='categoryrevenuemonth_read')],
                'constraints': [models.UniqueConstraint(fields=('customer', 'category', 'month', 'currency'), name='categoryrevenuemonth_cell')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

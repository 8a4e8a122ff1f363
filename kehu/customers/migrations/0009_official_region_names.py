"""Provinces, cities and industries typed before the lists existed ("浙江", "杭州", "建筑") are
written by their official names ("浙江省", "杭州市", "建筑业"); what names nothing on the lists
is kept as it is."""

from django.db import migrations


def normalise(apps, schema_editor):
    from kehu.customers import industries, regions

    Customer = apps.get_model("customers", "Customer")
    batch = []
    rows = Customer.objects.exclude(province="", city="", industry="").only("id", "province", "city", "industry")
    for c in rows.iterator(chunk_size=2000):
        province = regions.normalize_province(c.province) or c.province
        city = (regions.normalize_city(province, c.city) or c.city) if c.city else c.city
        industry = (industries.normalize_industry(c.industry) or c.industry) if c.industry else c.industry
        if (province, city, industry) != (c.province, c.city, c.industry):
            c.province, c.city, c.industry = province, city, industry
            batch.append(c)
        if len(batch) >= 2000:
            Customer.objects.bulk_update(batch, ["province", "city", "industry"])
            batch = []
    if batch:
        Customer.objects.bulk_update(batch, ["province", "city", "industry"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_pool_entry_time"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]

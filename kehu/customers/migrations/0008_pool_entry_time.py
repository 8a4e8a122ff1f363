"""Customers in the pool that never had an owner (created by an administrator or imported
without one) had no `returned_to_pool_at`, so the pool page showed 进入公海时间 empty. Fill it:
the time of their latest release or return when there is one, else when they were created."""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    PoolEvent = apps.get_model("customers", "PoolEvent")
    left = PoolEvent.objects.filter(customer_id=OuterRef("pk"), kind__in=["release", "return"]).order_by("-at", "-id")
    Customer.objects.filter(owner__isnull=True, returned_to_pool_at__isnull=True).update(
        returned_to_pool_at=Coalesce(Subquery(left.values("at")[:1]), "created_at"),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0007_verbose_names"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

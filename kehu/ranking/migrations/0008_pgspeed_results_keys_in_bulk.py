# PostgreSQL: the evaluation results' two foreign keys checked in bulk by triggers (one anti-join
# per statement) instead of per row at commit (issue 13, fourth pass; kehu/ranking/integrity.py).
# SQLite: nothing changes.

from django.db import migrations

from kehu.ranking import integrity


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0022_updated_at_index'),
        ('ranking', '0007_fewer_result_indexes'),
    ]

    operations = [
        migrations.RunPython(integrity.install, integrity.uninstall),
    ]

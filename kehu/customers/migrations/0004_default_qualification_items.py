"""The default prospect qualification checklist of 000 (DOMAIN.md §3); admins change it."""

from django.db import migrations

ITEMS = [
    ("决策结构清楚", "Decision structure known", "谁决策、谁影响、谁使用、谁把关", "Who decides, who influences, who uses, who gatekeeps"),
    ("购买特征明确", "Buying traits understood", "采购方式、关注点、主要购买因素", "How they buy, what they care about, the main buying factor"),
    ("收入与预算确认", "Income and budget confirmed", "有支付能力，预算已落实", "They can pay and the budget is set"),
    ("区域在服务范围内", "Region within our coverage", "我们能交付和服务的地区", "A region we can deliver to and serve"),
    ("预计签约周期明确", "Expected signing cycle known", "知道大概何时签约", "We know roughly when they will sign"),
]


def seed(apps, schema_editor):
    Item = apps.get_model("customers", "QualificationItem")
    if not Item.objects.exists():
        Item.objects.bulk_create(
            Item(name=zh, name_en=en, position=i * 10) for i, (zh, en, _hint_zh, _hint_en) in enumerate(ITEMS, 1)
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_qualificationitem_qualificationcheck")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

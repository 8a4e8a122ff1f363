from django.db import migrations

# DOMAIN.md §4: the default stages and probabilities (an admin may change them).
STAGES = [
    ("first_contact", "初次联系", "First contact", 10, False, False, "pipeline"),
    ("needs_confirmed", "需求确认", "Needs confirmed", 25, False, False, "pipeline"),
    ("proposal", "方案提交", "Proposal", 50, False, False, "best_case"),
    ("negotiation", "商务谈判", "Negotiation", 75, False, False, "commit"),
    ("won", "签约", "Won", 100, True, True, "closed"),
    ("lost", "输单", "Lost", 0, True, False, "omitted"),
]


def seed(apps, schema_editor):
    Stage = apps.get_model("sales", "OpportunityStage")
    for position, (code, name, name_en, probability, closed, won, forecast) in enumerate(STAGES, start=1):
        Stage.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "position": position, "probability": probability,
            "is_closed": closed, "is_won": won, "forecast_category": forecast,
        })


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_opportunitystage_opportunity_opportunitystagechange_and_more")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

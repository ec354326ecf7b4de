"""Items (with their stock, returns and repairs) and BASTs belong to an office (docs/
EQUIPMENT.md, "Many offices"): the rows already there are the top office's. Filled here and made
required in 0007: PostgreSQL does not alter a table with updates pending in the same
transaction."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    Office = apps.get_model("offices", "Office")
    Item = apps.get_model("equipment", "Item")
    Handover = apps.get_model("equipment", "Handover")
    top = Office.objects.order_by(models.F("area__level").asc(nulls_first=True), "pk").first()
    if top is None:
        return  # no office, hence (offices.0002 seeds one) no rows either
    Item.objects.filter(office__isnull=True).update(office=top)
    Handover.objects.filter(office__isnull=True).update(office=top)


def office(null: bool):
    return models.ForeignKey(
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="offices.office",
        verbose_name="office",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0003_office_rules_in_the_model"),
        ("equipment", "0005_handover_office_copy"),
    ]

    operations = [
        migrations.AddField(model_name="item", name="office", field=office(True)),
        migrations.AddField(model_name="handover", name="office", field=office(True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

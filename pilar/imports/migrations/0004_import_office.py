"""The office that owns an import (docs/OFFICE.md, "Many offices"): the imports held before
offices were many are the top office's, the only office there was."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):
    office = (
        apps.get_model("offices", "Office")
        .objects.order_by(F("area__level").asc(nulls_first=True), "pk")
        .first()
    )
    if office is not None:
        apps.get_model("imports", "Import").objects.filter(office=None).update(office=office)


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_import_start_rule"),
        ("offices", "0003_office_rules_in_the_model"),
    ]

    operations = [
        migrations.AddField(
            model_name="import",
            name="office",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="offices.office",
                verbose_name="office",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="import",
            name="office",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="offices.office",
                verbose_name="office",
            ),
        ),
    ]

"""Items and BASTs belong to an office (filled in 0006): an item's name is unique within its
office, and BAST numbers run per office and year."""

import django.db.models.deletion
from django.db import migrations, models


def office():
    return models.ForeignKey(
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="offices.office",
        verbose_name="office",
    )


class Migration(migrations.Migration):
    dependencies = [("equipment", "0006_item_handover_office")]

    operations = [
        migrations.AlterField(model_name="item", name="office", field=office()),
        migrations.AlterField(model_name="handover", name="office", field=office()),
        migrations.AlterField(
            model_name="item",
            name="name",
            field=models.CharField(max_length=150, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="handover",
            name="number",
            field=models.CharField(max_length=60, verbose_name="BAST number"),
        ),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.UniqueConstraint(
                fields=("office", "name"), name="item_name_per_office"
            ),
        ),
        migrations.RemoveConstraint(model_name="handover", name="handover_number_per_year"),
        migrations.AddConstraint(
            model_name="handover",
            constraint=models.UniqueConstraint(
                fields=("office", "year", "seq"), name="handover_number_per_year"
            ),
        ),
        migrations.AddConstraint(
            model_name="handover",
            constraint=models.UniqueConstraint(
                fields=("office", "number"), name="handover_number_once"
            ),
        ),
    ]

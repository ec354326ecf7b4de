"""Training events and certificates belong to an office (docs/TRAININGS.md, "Many offices"):
the rows already there are the top office's; certificate numbers run per office and year (0010). Filled here and made
required in 0010: PostgreSQL does not alter a table with updates pending in the same
transaction."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    Office = apps.get_model("offices", "Office")
    TrainingEvent = apps.get_model("trainings", "TrainingEvent")
    Certificate = apps.get_model("trainings", "Certificate")
    top = Office.objects.order_by(models.F("area__level").asc(nulls_first=True), "pk").first()
    if top is None:
        return  # no office, hence (offices.0002 seeds one) no rows either
    TrainingEvent.objects.filter(office__isnull=True).update(office=top)
    Certificate.objects.filter(office__isnull=True).update(office=top)


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0003_office_rules_in_the_model"),
        ("trainings", "0008_print_task_path"),
    ]

    operations = [
        migrations.AddField(
            model_name="trainingevent",
            name="office",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="offices.office",
                verbose_name="office",
            ),
        ),
        migrations.AddField(
            model_name="certificate",
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
    ]

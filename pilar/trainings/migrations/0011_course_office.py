"""Courses belong to an office (docs/TRAININGS.md, "Many offices"): the rows already there are
the top office's. Filled here and made required, with names unique per office, in 0012:
PostgreSQL does not alter a table with updates pending in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    Office = apps.get_model("offices", "Office")
    Course = apps.get_model("trainings", "Course")
    top = Office.objects.order_by(models.F("area__level").asc(nulls_first=True), "pk").first()
    if top is None:
        return  # no office, hence (offices.0002 seeds one) no rows either
    Course.objects.filter(office__isnull=True).update(office=top)


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0003_office_rules_in_the_model"),
        ("registry", "0006_person_name_trigram"),
        ("trainings", "0010_require_event_certificate_office"),
    ]

    operations = [
        migrations.AddField(
            model_name="course",
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

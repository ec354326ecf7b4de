"""Rates, budget ceilings and batches belong to an office (docs/STIPENDS.md, "Many offices"):
every existing row goes to the installation's top office, and batches are numbered per office
and budget year in the order they were made."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):
    office_model = apps.get_model("offices", "Office")
    top = office_model.objects.order_by(F("area__level").asc(nulls_first=True), "pk").first()
    if top is None:
        return  # no office, hence (offices/0002) no installation with rows to fill
    for name in ("StipendRate", "Budget", "StipendBatch"):
        apps.get_model("stipends", name).objects.filter(office__isnull=True).update(office=top)
    batch_model = apps.get_model("stipends", "StipendBatch")
    counters: dict[tuple[int, int], int] = {}
    for batch in batch_model.objects.order_by("pk").only("pk", "office_id", "year"):
        key = (batch.office_id, batch.year)
        counters[key] = counters.get(key, 0) + 1
        batch_model.objects.filter(pk=batch.pk).update(seq=counters[key])


def office_field(null: bool):
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
        ("stipends", "0005_batch_office_copy"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="budget", name="budget_one_per_year"),
        migrations.AddField(model_name="budget", name="office", field=office_field(True)),
        migrations.AddField(model_name="stipendbatch", name="office", field=office_field(True)),
        migrations.AddField(
            model_name="stipendbatch",
            name="seq",
            field=models.PositiveIntegerField(null=True, verbose_name="number in the year"),
        ),
        migrations.AddField(model_name="stipendrate", name="office", field=office_field(True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

"""The office's first values, from the environment (pilar/settings.py): the record exists from
the first migration on, and from then on the record rules (docs/OFFICE.md). A database emptied
later (`flush`) is seeded again at first use by pilar.offices.services.office_seed."""

from django.conf import settings
from django.db import migrations


def fill(apps, schema_editor):
    from pilar.offices.services import seed_values

    office_model = apps.get_model("offices", "Office")
    if office_model.objects.exists():
        return
    area_model = apps.get_model("regions", "Area")
    area = area_model.objects.filter(code=settings.PILAR_OFFICE_AREA, level__lte=2).first()
    fields = {f.name for f in office_model._meta.get_fields()}
    values = {k: v for k, v in seed_values().items() if k in fields}
    office = office_model.objects.create(area=area, **values)
    apps.get_model("audit", "AuditEntry").objects.create(
        source="system",
        action="create",
        object_type="offices.office",
        object_id=str(office.pk),
        object_repr=office.name[:200],
        note="The office's first values, from the environment.",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0001_office"),
        ("audit", "0004_export_jobs"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

"""The casework activity a verivali visit counts as (pilar/verivali/services.py)."""

from django.db import migrations

CODE = "VERIVALI"
NAME = "Verifikasi dan validasi data keluarga (verivali)"


def fill(apps, schema_editor):
    ActivityType = apps.get_model("casework", "ActivityType")
    ActivityType.objects.get_or_create(
        code=CODE, defaults={"sector": "perlindungan", "name": NAME, "order": 90}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("verivali", "0001_initial"),
        ("casework", "0002_fill_reference"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

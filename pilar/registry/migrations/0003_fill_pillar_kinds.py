from django.db import migrations

from pilar.registry.reference import fill_kinds


def fill(apps, schema_editor):
    fill_kinds(apps.get_model("registry", "PillarKind"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_assignment_no_overlap")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

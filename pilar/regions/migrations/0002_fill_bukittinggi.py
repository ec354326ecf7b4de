from django.db import migrations

from pilar.regions.loader import BUKITTINGGI_CSV, load_areas, read_csv


def fill(apps, schema_editor):
    load_areas(
        read_csv(BUKITTINGGI_CSV),
        area_model=apps.get_model("regions", "Area"),
        alias_model=apps.get_model("regions", "AreaAlias"),
    )


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

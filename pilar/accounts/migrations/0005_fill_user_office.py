"""Users existing before offices were many work for the installation's one office: tie them to
it, so that a province office added above it later does not make them province users
(docs/OFFICE.md, "Many offices")."""

from django.db import migrations


def fill(apps, schema_editor):
    Office = apps.get_model("offices", "Office")
    User = apps.get_model("accounts", "User")
    offices = list(Office.objects.all()[:2])
    if len(offices) == 1:
        User.objects.filter(office__isnull=True).update(office=offices[0])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_office"),
        ("offices", "0003_office_rules_in_the_model"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

# The form posts seen a moment ago moved to the accounts app (its migration 0003 takes over the
# table and renames it): here the model leaves core's state only, the table is accounts' now.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_submitted_form'),
        ('accounts', '0003_submitted_form_from_core'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='SubmittedForm')],
        ),
    ]

# The old witness text, once its lines are witness rows (0003). Apart from 0003 so that on
# PostgreSQL the rows written there are checked before the table is altered.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("equipment", "0003_witnesses_condition_repairs_corrections"),
    ]

    operations = [
        migrations.RemoveField(model_name="handover", name="witnesses_old"),
    ]

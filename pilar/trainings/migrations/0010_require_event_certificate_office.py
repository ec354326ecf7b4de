"""Training events and certificates belong to an office (filled in 0009); certificate numbers
run per office and year."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("trainings", "0009_event_certificate_office")]

    operations = [
        migrations.AlterField(
            model_name="trainingevent",
            name="office",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="offices.office",
                verbose_name="office",
            ),
        ),
        migrations.AlterField(
            model_name="certificate",
            name="office",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="offices.office",
                verbose_name="office",
            ),
        ),
        migrations.RemoveConstraint(model_name="certificate", name="certificate_number_per_year"),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.UniqueConstraint(
                fields=("office", "year", "seq"), name="certificate_number_per_year"
            ),
        ),
    ]

"""Second step of 0006_office: every row now has its office and number, so they are required
and unique per office (in its own migration: PostgreSQL does not alter a table whose rows were
just updated with deferred foreign-key checks pending in the same transaction)."""

import django.db.models.deletion
from django.db import migrations, models


def office_field():
    return models.ForeignKey(
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="offices.office",
        verbose_name="office",
    )


class Migration(migrations.Migration):
    dependencies = [("stipends", "0006_office")]

    operations = [
        migrations.AlterField(model_name="budget", name="office", field=office_field()),
        migrations.AlterField(model_name="stipendbatch", name="office", field=office_field()),
        migrations.AlterField(
            model_name="stipendbatch",
            name="seq",
            field=models.PositiveIntegerField(verbose_name="number in the year"),
        ),
        migrations.AlterField(model_name="stipendrate", name="office", field=office_field()),
        migrations.AddConstraint(
            model_name="budget",
            constraint=models.UniqueConstraint(
                fields=("office", "year", "funding_source"), name="budget_one_per_year"
            ),
        ),
        migrations.AddConstraint(
            model_name="stipendbatch",
            constraint=models.UniqueConstraint(
                fields=("office", "year", "seq"), name="batch_number_per_office_year"
            ),
        ),
    ]

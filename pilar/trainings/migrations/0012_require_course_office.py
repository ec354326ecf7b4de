"""Courses belong to an office (filled in 0011); a course's name is unique within its office."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("trainings", "0011_course_office")]

    operations = [
        migrations.AlterField(
            model_name="course",
            name="office",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="offices.office",
                verbose_name="office",
            ),
        ),
        migrations.AlterField(
            model_name="course",
            name="name",
            field=models.CharField(max_length=150, verbose_name="name"),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.UniqueConstraint(
                fields=("office", "name"), name="course_name_per_office"
            ),
        ),
    ]

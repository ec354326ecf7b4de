# The form posts seen a moment ago (`pilar.accounts.once.submit_once`) were the core app's
# table; the views of the domain apps use them, and those may not import core (the top layer),
# so the table moves down to accounts. Its rows are kept: the model is taken over as it stands
# (core_submittedform, state only), then its table renamed to accounts_submittedform.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_apitoken_expires_at'),
        ('core', '0001_submitted_form'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SubmittedForm',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('location', models.CharField(blank=True, max_length=500)),
                    ],
                    options={'db_table': 'core_submittedform'},
                ),
            ],
        ),
        migrations.AlterModelTable(name='submittedform', table=None),
    ]

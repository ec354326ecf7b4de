"""The audit log keeps a person's id without a foreign-key constraint, so an import's undo can
remove a person it created while the log (append-only) keeps every line about them.

SQLite rebuilds the table for this change, which drops its triggers: the append-only trigger is
created again here."""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_TRIGGER = """CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit_auditentry
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_append_only")
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
        ("registry", "0004_assignment_person_kind_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="person",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="audit_entries",
                to="registry.person",
                verbose_name="person concerned",
            ),
        ),
        migrations.RunPython(restore_sqlite_trigger, restore_sqlite_trigger),
    ]

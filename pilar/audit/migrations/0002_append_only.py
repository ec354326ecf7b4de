"""The audit log is append-only in the database itself.

UPDATE is refused on SQLite and PostgreSQL; DELETE is refused on PostgreSQL (SQLite's test
database is emptied with DELETE between tests, so there the ORM's refusal has to do).
"""

from django.db import migrations

PG_UP = [
    """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
PG_DOWN = [
    "DROP TRIGGER audit_append_only ON audit_auditentry",
    "DROP FUNCTION audit_append_only()",
]
SQLITE_UP = [
    """CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER audit_append_only"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise NotImplementedError(f"Pilar runs on SQLite or PostgreSQL, not {vendor}")
        for sql in statements_by_vendor[vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]

"""The database refuses two overlapping duties of one kind for one person.

PostgreSQL: an exclusion constraint over the inclusive date range (btree_gist).
SQLite: triggers on insert and update that abort on an overlap.
"""

from django.db import migrations

PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE registry_assignment ADD CONSTRAINT assignment_no_overlap
       EXCLUDE USING gist (person_id WITH =, kind_id WITH =,
                           daterange(start_date, end_date, '[]') WITH &&)""",
]
PG_DOWN = ["ALTER TABLE registry_assignment DROP CONSTRAINT assignment_no_overlap"]

_SQLITE_CHECK = """
    WHEN EXISTS (
        SELECT 1 FROM registry_assignment a
        WHERE a.person_id = NEW.person_id AND a.kind_id = NEW.kind_id AND a.id != NEW.id
          AND a.start_date <= COALESCE(NEW.end_date, '9999-12-31')
          AND COALESCE(a.end_date, '9999-12-31') >= NEW.start_date)
    BEGIN SELECT RAISE(ABORT, 'assignment_no_overlap'); END
"""
SQLITE_UP = [
    "CREATE TRIGGER assignment_no_overlap_insert BEFORE INSERT ON registry_assignment"
    + _SQLITE_CHECK,
    "CREATE TRIGGER assignment_no_overlap_update BEFORE UPDATE ON registry_assignment"
    + _SQLITE_CHECK,
]
SQLITE_DOWN = [
    "DROP TRIGGER assignment_no_overlap_insert",
    "DROP TRIGGER assignment_no_overlap_update",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise NotImplementedError(f"Pilar runs on SQLite or PostgreSQL, not {vendor}")
        for sql in statements_by_vendor[vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]

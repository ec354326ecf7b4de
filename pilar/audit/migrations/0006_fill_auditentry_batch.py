"""Entries that imports wrote before `AuditEntry.batch` existed name their import only in the
note ("import #12 roster.xlsx, row 3", "undo of import #12 roster.xlsx"): the import's number is
copied from there into `batch`, which an undo now reads instead of the note.

The log refuses UPDATE (migration 0002): the trigger is lifted for this one statement per
import and put back, within the migration's transaction.
"""

import re

from django.db import migrations

NOTE = re.compile(r"(?:import|undo of import) #(\d+)")
PG_TRIGGER = """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()"""
SQLITE_TRIGGER = """CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit_auditentry
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""


def fill_batches(connection) -> int:
    """Set `batch` from the note of every import entry that has none; how many were set."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, note FROM audit_auditentry WHERE source = %s AND batch IS NULL",
            ["import"],
        )
        by_batch: dict[int, list[int]] = {}
        for pk, note in cursor.fetchall():
            found = NOTE.match(note or "")
            if found:
                by_batch.setdefault(int(found.group(1)), []).append(pk)
        if not by_batch:
            return 0
        vendor = connection.vendor
        if vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_append_only ON audit_auditentry")
        elif vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_append_only")
        else:
            raise NotImplementedError(f"Pilar runs on SQLite or PostgreSQL, not {vendor}")
        for number, ids in by_batch.items():
            for start in range(0, len(ids), 500):
                piece = ids[start : start + 500]
                placeholders = ", ".join(["%s"] * len(piece))
                cursor.execute(
                    f"UPDATE audit_auditentry SET batch = %s WHERE id IN ({placeholders})",  # noqa: S608
                    [number, *piece],
                )
        cursor.execute(PG_TRIGGER if vendor == "postgresql" else SQLITE_TRIGGER)
    return sum(len(ids) for ids in by_batch.values())


def fill(apps, schema_editor):
    fill_batches(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_auditentry_batch")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

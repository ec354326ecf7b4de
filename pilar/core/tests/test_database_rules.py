"""The rules the database itself enforces are present after all migrations (a later migration
that rebuilds a SQLite table would silently drop its triggers)."""

from django.db import connection

from pilar.lib.exports import to_csv


def test_database_guards_exist(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {row[0] for row in cursor.fetchall()}
            assert {
                "assignment_no_overlap_insert",
                "assignment_no_overlap_update",
                "audit_append_only",
            } <= names
        else:
            cursor.execute("SELECT conname FROM pg_constraint")
            assert "assignment_no_overlap" in {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            assert "audit_append_only" in {row[0] for row in cursor.fetchall()}


def test_csv_cells_cannot_become_formulas():
    rows = [["=1+2"], ["+628123"], ["Ani"], [-5]]
    lines = to_csv(["name"], rows).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["'=1+2", "'+628123", "Ani", "-5"]

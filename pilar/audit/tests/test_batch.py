"""`AuditEntry.batch`: entries an import wrote before the field existed get their import's
number from their note (migration audit 0006), and the log stays append-only afterwards."""

import importlib

import pytest
from django.db import DatabaseError, connection

from pilar.audit.models import AuditEntry

fill = importlib.import_module("pilar.audit.migrations.0006_fill_auditentry_batch")


def entry(source: str, note: str, batch=None) -> AuditEntry:
    return AuditEntry.objects.create(
        source=source, action="create", object_type="registry.person", note=note, batch=batch
    )


@pytest.mark.django_db
def test_old_import_entries_take_their_import_from_the_note():
    written = entry("import", "import #12 roster.xlsx, row 3")
    undone = entry("import", "undo of import #12 roster.xlsx")
    other = entry("import", "import #7 lama.xlsx, row 2")
    by_hand = entry("web", "import #12 mentioned in a note typed on the web")
    already = entry("import", "import #12 roster.xlsx, row 4", batch=99)
    unreadable = entry("import", "something else")

    assert fill.fill_batches(connection) == 3

    mine = [e.pk for e in (written, undone, other, by_hand, already, unreadable)]
    got = dict(AuditEntry.objects.filter(pk__in=mine).values_list("pk", "batch"))
    assert got == {
        written.pk: 12,
        undone.pk: 12,
        other.pk: 7,
        by_hand.pk: None,
        already.pk: 99,
        unreadable.pk: None,
    }
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET note = 'x'")


@pytest.mark.django_db
def test_nothing_to_fill_leaves_the_log_alone():
    entry("web", "import #12 typed by hand")
    assert fill.fill_batches(connection) == 0

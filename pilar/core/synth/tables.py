"""Writing synthetic rows straight into the tables, for `pilar synth` (pilar/core/synth/): a
chunk at a time (COPY on PostgreSQL, executemany elsewhere), with the columns it does not fill
at their defaults; the triggers, keys and indexes that would make a bulk load slow suspended for
it; and deleting rows in one statement."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import connection

from pilar.registry.models import Assignment

# Rows written at a time.
CHUNK = 20_000


def extra_columns(model, known: tuple[str, ...]) -> tuple[list[str], tuple]:
    """Columns synth does not fill itself, with their defaults (fails if one has none)."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in known:
            continue
        if not f.has_default() and not f.null and not f.empty_strings_allowed:
            raise CommandError(f"synth does not know how to fill {model.__name__}.{f.name}")
        names.append(f.column)
        values.append(f.get_db_prep_save(f.get_default(), connection))
    return names, tuple(values)


def columns(model, attnames: tuple[str, ...]) -> list[str]:
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    return [by_attname[a] for a in attnames]


class Sink:
    """Writes chunks of rows: COPY on PostgreSQL, executemany elsewhere, nothing on a dry run."""

    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if self.dry_run or not rows:
            return
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        cols = ", ".join(qn(c) for c in columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                insert = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(insert, rows)


# SQLite's overlap triggers (registry migration 0002) look for an overlapping duty of the same
# person; without planner statistics SQLite answers that through the kind_id index, i.e. by
# scanning every duty of the kind, which makes a bulk load quadratic. Each synthetic person holds
# exactly one duty, so no overlap is possible: the triggers are dropped for the load and created
# again, from their own stored SQL, in the same transaction.
OVERLAP_TRIGGER_PREFIX = "assignment_no_overlap"


@contextmanager
def overlap_triggers_suspended(dry_run: bool):
    if connection.vendor != "sqlite" or dry_run:
        yield
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [Assignment._meta.db_table],
        )
        rows = cursor.fetchall()
        triggers = [(n, sql) for n, sql in rows if n.startswith(OVERLAP_TRIGGER_PREFIX)]
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, sql in triggers:
            cursor.execute(sql)


# PostgreSQL checks each foreign key of each copied row with a deferred trigger (queued in memory
# until the commit) and updates every index row by row: at 10^7 activities that is most of the
# time. For the casework tables, foreign keys and plain indexes are dropped for the load and
# created again from their own definitions in the same transaction, which checks each key once
# for the whole table and builds each index in one sort. Primary keys and unique constraints stay.
@contextmanager
def keys_and_indexes_suspended(models, dry_run: bool):
    if connection.vendor != "postgresql" or dry_run or not models:
        yield
        return
    tables = [m._meta.db_table for m in models]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks on these tables
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def next_id(model) -> int:
    qn = connection.ops.quote_name
    pk, table = qn(model._meta.pk.column), qn(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0] + 1


def raw_delete(queryset) -> int:
    """DELETE the rows of `queryset` in one statement (no per-row collection, no signals)."""
    model = queryset.model
    sql, params = queryset.values("id").query.sql_with_params()
    qn = connection.ops.quote_name
    pk = qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        # Identifiers come from model metadata and the subquery from the ORM, with params.
        table = qn(model._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)  # noqa: S608
        return cursor.rowcount

"""Reading from a PostgreSQL read replica (docs/SCALE.md, "Replicas").

`DATABASE_REPLICA_URL` (empty: none) adds the database alias `replica`. Code that only reads and
may see the data a moment late (the dashboard, list exports) runs inside `reading_replica()`, a
context manager and decorator; `ReplicaRouter` (settings.DATABASE_ROUTERS) then sends its reads
there. Everything else stays on `default`:

- outside a `reading_replica()` block, every query goes to `default`;
- writes always go to `default`, inside the block too;
- a read inside the block stays on `default` while `default` is in a transaction (what the
  transaction wrote is not on the replica yet);
- without the alias (a single-server installation, SQLite) the block changes nothing;
- migrations run on `default` only (the replica copies the primary's schema).

The flag is a ContextVar: it holds for the thread or task that set it, never for another
request served at the same time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ContextDecorator
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_reading: ContextVar[bool] = ContextVar("pilar_reading_replica", default=False)


class reading_replica(ContextDecorator):  # noqa: N801 - used like a function: `with reading_replica():`
    """Reads inside it go to the replica when there is one (see the module's docstring)."""

    def _recreate_cm(self):
        return type(self)()  # a decorated function's calls, in any thread, each their own

    def __enter__(self):
        self._token = _reading.set(True)
        return self

    def __exit__(self, *exc):
        _reading.reset(self._token)
        return False


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_rows(rows: Iterable) -> Iterator:
    """`rows` read inside `reading_replica()` one item at a time: for a download streamed after
    the view has returned (each step sets the flag and resets it, so no other code that runs
    between two steps sees it)."""
    iterator = iter(rows)
    while True:
        token = _reading.set(True)
        try:
            row = next(iterator)
        except StopIteration:
            return
        finally:
            _reading.reset(token)
        yield row


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads inside `reading_replica()` to `replica`, all else to
    `default`."""

    def db_for_read(self, model, **hints):
        if not _reading.get() or not replica_configured():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # read what this transaction wrote
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS

"""Reads inside `reading_replica()` go through the `replica` connection, writes never do, and
nothing outside the block does (pilar/lib/replica.py). The replica is a second connection to
the test database (`TEST: {"MIRROR": "default"}`), so the routing is seen per connection; the
tests commit (transaction=True), as a replica only sees what the primary committed."""

from __future__ import annotations

import copy
import threading

import pytest
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pilar.accounts.models import Role
from pilar.lib.replica import REPLICA, reading_replica
from pilar.registry.models import PillarKind

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """A `replica` alias reading the test database through its own connection (unless
    DATABASE_REPLICA_URL already made one, which the test runner mirrors the same way)."""
    if REPLICA in connections.settings:
        yield
        return
    default = copy.deepcopy(connections["default"].settings_dict)
    connections.settings[REPLICA] = {**default, "TEST": {**default["TEST"], "MIRROR": "default"}}
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


class Captured:
    """The queries each connection ran inside the block."""

    def __enter__(self):
        self.default = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.default.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.default.__exit__(*exc)

    @staticmethod
    def sql(ctx) -> list[str]:
        return [q["sql"].lstrip().upper() for q in ctx.captured_queries]


def _writes(sqls: list[str]) -> list[str]:
    return [s for s in sqls if s.startswith(("INSERT", "UPDATE", "DELETE"))]


def test_reads_inside_the_block_go_to_the_replica_and_outside_do_not(reference):
    expected = PillarKind.objects.count()
    with Captured() as seen:
        with reading_replica():
            assert PillarKind.objects.count() == expected
            assert PillarKind.objects.filter(code="PSM").exists()
        assert PillarKind.objects.count() == expected  # after the block
    assert len(seen.replica.captured_queries) == 2
    assert len(seen.default.captured_queries) == 1


def test_nothing_goes_to_the_replica_outside_the_block(reference):
    with Captured() as seen:
        PillarKind.objects.count()
        list(PillarKind.objects.all()[:3])
        PillarKind.objects.filter(code="PSM").update(name="Pekerja Sosial Masyarakat")
    assert seen.replica.captured_queries == []
    assert len(seen.default.captured_queries) == 3


def test_writes_inside_the_block_go_to_the_primary(reference):
    with Captured() as seen, reading_replica():
        kind = PillarKind.objects.get(code="PSM")  # read: the replica
        kind.name = kind.name + " (uji)"
        kind.save()  # write: the primary, although the object was read from the replica
        PillarKind.objects.filter(code="TKSK").update(name="TKSK (uji)")
    assert _writes(Captured.sql(seen.replica)) == []
    assert len(_writes(Captured.sql(seen.default))) == 2
    assert PillarKind.objects.get(code="PSM").name.endswith("(uji)")


def test_reads_in_a_transaction_stay_on_the_primary(reference):
    with Captured() as seen, reading_replica(), transaction.atomic():
        PillarKind.objects.filter(code="PSM").update(name="Baru")
        assert PillarKind.objects.get(code="PSM").name == "Baru"  # its own write
    assert seen.replica.captured_queries == []


def test_without_the_alias_the_block_changes_nothing(reference, monkeypatch):
    monkeypatch.delitem(connections.settings, REPLICA)
    with reading_replica():
        assert router.db_for_read(PillarKind) == "default"
    monkeypatch.undo()
    with reading_replica():
        assert router.db_for_read(PillarKind) == REPLICA
    assert router.db_for_read(PillarKind) == "default"


def test_migrations_and_writes_only_on_the_primary():
    assert router.allow_migrate("default", "registry")
    assert not router.allow_migrate(REPLICA, "registry")
    with reading_replica():
        assert router.db_for_write(PillarKind) == "default"


def test_the_decorator_holds_for_its_own_call_only(reference):
    """A decorated function run in two threads at once: each call sets and resets its own flag;
    the thread that did not call it reads the primary meanwhile."""
    inside, release = threading.Event(), threading.Event()
    seen = {}

    @reading_replica()
    def slow():
        seen["slow"] = router.db_for_read(PillarKind)
        inside.set()
        release.wait(5)

    worker = threading.Thread(target=slow)
    worker.start()
    inside.wait(5)
    seen["other"] = router.db_for_read(PillarKind)
    release.set()
    worker.join()
    slow()  # again, in this thread
    assert seen == {"slow": REPLICA, "other": "default"}
    assert router.db_for_read(PillarKind) == "default"
    connections.close_all()  # the worker thread's connections


def test_the_dashboard_reads_from_the_replica(client, make_user):
    user = make_user("kepala-replica", Role.APPROVER)
    client.force_login(user)
    with Captured() as seen:
        response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    replica = Captured.sql(seen.replica)
    assert len(replica) >= 3  # headcount, casework, arrears...
    assert _writes(replica) == []


def test_a_list_export_reads_its_rows_from_the_replica(client, make_user):
    user = make_user("admin-replica", Role.ADMIN)
    client.force_login(user)
    with Captured() as seen:
        response = client.get(reverse("kube:group-list") + "?format=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith("\ufeff".encode())
    replica = Captured.sql(seen.replica)
    assert any("KUBE" in s for s in replica)  # the groups
    assert _writes(replica) == []

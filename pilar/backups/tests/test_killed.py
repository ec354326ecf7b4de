"""A backup or restore killed mid-way (kill -9, out of memory) leaves nothing running and
nothing a later command takes for a finished archive."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.utils import timezone

from pilar.backups import archive, work

# The child: what `pilar backup` does around pg_dump (archive.run_tool), with a stand-in for
# pg_dump that tells its pid through a FIFO and then works for a minute.
CHILD = textwrap.dedent(
    """
    import os, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilar.settings")
    import django
    django.setup()
    from pilar.backups import archive
    tool = ("import os, sys, time; f = open(sys.argv[1], 'w'); f.write(str(os.getpid()));"
            " f.close(); time.sleep(60)")
    archive.run_tool([sys.executable, "-c", tool, sys.argv[1]], dict(os.environ))
    """
)


def test_a_killed_backup_takes_its_pg_dump_along(tmp_path: Path):
    fifo = tmp_path / "pid"
    os.mkfifo(fifo)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(fifo)])
    try:
        with open(fifo) as f:  # blocks until the stand-in has started
            tool_pid = int(f.read())
        tool = os.pidfd_open(tool_pid)
        child.send_signal(signal.SIGKILL)
        child.wait()
        # The tool ends with its parent: it does not go on writing into the backup folder.
        ended, _, _ = select.select([tool], [], [], 20)
        assert ended, "pg_dump lives on after `pilar backup` was killed"
        os.close(tool)
    finally:
        child.kill()
        child.wait()
        with contextlib.suppress(ProcessLookupError, UnboundLocalError):
            os.kill(tool_pid, signal.SIGKILL)


@pytest.mark.django_db
def test_the_leftovers_of_a_killed_backup_are_cleared_after_a_day(settings, tmp_path):
    settings.PILAR_BACKUP_DIR = folder = tmp_path / "backups"
    folder.mkdir()
    # What a backup killed while SQLite copied the database leaves (its rollback journal too).
    names = [
        ".pilar-nightly-20261203-010000.tar.gz.abcd1234.part",
        ".pilar-nightly-20261203-010000.tar.gz.abcd1234.db.part",
        ".pilar-nightly-20261203-010000.tar.gz.abcd1234.db.part-journal",
    ]
    old = timezone.now().timestamp() - 2 * 86400
    for name in names:
        (folder / name).write_bytes(b"half")
        os.utime(folder / name, (old, old))
    fresh = folder / ".pilar-manual-20261205-010000.tar.gz.efgh5678.db.part"
    fresh.write_bytes(b"being written now")
    mine = folder / "notes.part"
    mine.write_bytes(b"not ours")
    os.utime(mine, (old, old))
    assert archive.list_backups() == []

    gone = work.prune_nightly()
    assert sorted(gone) == sorted(names)
    assert sorted(p.name for p in folder.iterdir()) == sorted([fresh.name, mine.name])

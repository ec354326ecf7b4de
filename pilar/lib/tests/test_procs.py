"""Children started through pilar.lib.procs die when their parent is killed (Linux)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap

import pytest

# The parent prints its child's pid, then waits to be killed.
POPEN_PARENT = """
    import subprocess, sys, time
    from pilar.lib.procs import dying_with_parent
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], preexec_fn=dying_with_parent()
    )
    print(child.pid, flush=True)
    time.sleep(600)
"""
FORK_PARENT = """
    import os, signal, sys, time
    from pilar.lib.procs import die_with_parent
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        die_with_parent(parent, signal.SIGKILL)
        time.sleep(600)
        os._exit(0)
    print(pid, flush=True)
    time.sleep(600)
"""


def _gone_within(pid: int, seconds: float) -> bool:
    """Whether process `pid` exits within `seconds`: waits on a pidfd, which becomes readable
    when the process ends (no polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _w, _x = select.select([fd], [], [], seconds)
        return bool(readable)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("script", [POPEN_PARENT, FORK_PARENT], ids=["popen", "fork"])
def test_a_child_dies_when_its_parent_is_killed(script):
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE, text=True
    )
    child = None
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _gone_within(child, 10)
        assert not _alive(child)
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)  # the test failed: leave no orphan behind

"""Child processes that die with their parent.

A process Pilar starts (the web server and task worker of `pilar serve`, the second process
that reads a large import) must not live on when its parent is killed (kill -9, out of memory):
it would hold the port, run tasks twice, or read a file for nobody. On Linux the kernel sends a
chosen signal to a process when its parent dies (prctl PR_SET_PDEATHSIG); elsewhere this is a
no-op.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> None:
    """Call in the child: `sig` is delivered when the process `parent_pid` (the parent, whose pid
    the caller took before starting the child) dies. If it died already, `sig` is raised now."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    # The parent may have died between the fork and the prctl: the kernel would not tell.
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)


def dying_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` for subprocess.Popen that makes the child die with this process."""
    parent_pid = os.getpid()

    def preexec() -> None:
        die_with_parent(parent_pid, sig)

    return preexec


class StopRequest:
    """Catches SIGTERM and SIGINT from now on: a supervising command (`pilar serve`, `pilar
    worker`) loops `while not stop.asked` and then stops its children gracefully."""

    def __init__(self) -> None:
        self.asked = False
        signal.signal(signal.SIGTERM, self._ask)
        signal.signal(signal.SIGINT, self._ask)

    def _ask(self, signum, frame) -> None:
        self.asked = True


def stop_children(children: list[subprocess.Popen], grace: float = 25) -> None:
    """SIGTERM to each child still running (its graceful stop), then wait up to `grace`
    seconds in all for them before killing whichever is left."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

"""`pilar serve` killed with SIGKILL (out of memory, kill -9) takes its web server and task
worker with it: nothing keeps the port or runs tasks for a server that is gone."""

import os
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pilar.core.tests.test_serve import free_port


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _ends_within(pid: int, seconds: float) -> bool:
    """Whether `pid` ends within `seconds` (its pidfd becomes readable; no polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


@pytest.mark.django_db(transaction=True)
def test_the_web_server_and_worker_die_with_a_killed_serve(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "PILAR_DATA_DIR": str(tmp_path), "PILAR_WEB_WORKERS": "1"}
    env.pop("DATABASE_URL", None)  # its own SQLite file: never the test database
    proc = subprocess.Popen(
        [sys.executable, "-m", "pilar.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    web_workers: list[int] = []
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        children = _children(proc.pid)
        assert len(children) == 2  # gunicorn's master and the task worker
        web_workers = [w for c in children for w in _children(c)]
        assert web_workers  # gunicorn's own worker
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for pid in children + web_workers:
            assert _ends_within(pid, 30), f"process {pid} outlived pilar serve"
    finally:
        for pid in children + web_workers:
            if not _ends_within(pid, 0):
                os.kill(pid, signal.SIGKILL)  # the test failed: leave no orphan behind
        if proc.poll() is None:
            proc.kill()
            proc.wait()

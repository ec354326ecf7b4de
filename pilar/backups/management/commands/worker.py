"""`pilar worker`: the task worker `pilar serve` starts. It runs django-tasks' db_worker and,
beside it, says it is alive every 30 seconds (read by /healthz) and asks for the nightly backup
when it is due (docs/BACKUP.md). SIGTERM or SIGINT stops both; if db_worker dies, so does this,
and the heartbeat stops with it."""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import subprocess
import sys
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from pilar.backups import services
from pilar.backups.signals import worker_round
from pilar.lib.hooks import answers
from pilar.lib.procs import StopRequest, dying_with_parent, stop_children

log = logging.getLogger(__name__)


def worker_tick(name: str, started_at: datetime.datetime) -> None:
    """One round of the worker's own duties: the heartbeat, the nightly backup if due, then
    what the apps above ask of each round (`worker_round`: the monthly reports on the 11th)."""
    services.worker_beat(name, started_at)
    services.nightly_backup_claim()
    answers(worker_round, now=timezone.now())


class Command(BaseCommand):
    help = "Run the background-task worker with its heartbeat and the nightly backup."

    def handle(self, *args, **options):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pilar.settings"}
        child = subprocess.Popen(
            [sys.executable, "-m", "pilar.cli", "db_worker"],
            env=env,
            preexec_fn=dying_with_parent(),
        )
        stop = StopRequest()
        name, started_at = services.worker_name(), timezone.now()
        next_tick = 0.0
        code = 0
        while not stop.asked:
            if child.poll() is not None:
                code = 1
                break
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + services.HEARTBEAT_EVERY
                try:
                    close_old_connections()
                    worker_tick(name, started_at)
                except DatabaseError:
                    # The database is away for a moment (or not migrated yet): no heartbeat
                    # now, /healthz will tell; try again at the next round.
                    log.exception("task worker heartbeat failed")
            time.sleep(0.5)
        stop_children([child])
        with contextlib.suppress(DatabaseError):
            services.worker_stop(name)
        if code:
            self.stderr.write("The task worker (db_worker) stopped unexpectedly.")
        sys.exit(code)

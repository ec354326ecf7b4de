"""`pilar serve`: collect static files, migrate, and run gunicorn plus one task worker
(`pilar worker`: db_worker, its heartbeat and the nightly backup).

Before migrating it refuses a database newer than the code, and backs up a database that
already holds data when migrations are pending (docs/BACKUP.md, "Upgrading").

SIGTERM or SIGINT stops both children and exits 0 once they have stopped.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext

import pilar
from pilar.backups.archive import BackupError, create_backup, unknown_migrations
from pilar.lib.jobs import recover_all
from pilar.lib.params import argument, parse_int
from pilar.lib.procs import StopRequest, dying_with_parent, stop_children
from pilar.lib.serving import gunicorn_options


def _host(value: str) -> str:
    """--host: an address or name to listen on, never empty (gunicorn would then listen on
    every interface) nor holding spaces or a port."""
    host = value.strip()
    try:
        return f"[{ipaddress.IPv6Address(host)}]"  # gunicorn binds [::1]:8000
    except ValueError:
        pass
    if not host or any(c.isspace() for c in host) or (":" in host and not host.startswith("[")):
        raise argparse.ArgumentTypeError(
            gettext(
                "give the address to listen on, such as 127.0.0.1 or 0.0.0.0 (the port goes "
                "in --port); got %(value)r"
            )
            % {"value": value}
        )
    return host


class Command(BaseCommand):
    help = "Run Pilar with a production server (gunicorn) and a background-task worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", type=_host, default=os.environ.get("PILAR_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port",
            type=argument(parse_int, "--port", low=1, high=65535),
            default=int(os.environ.get("PILAR_PORT", "8000")),
        )
        parser.add_argument(
            "--workers",
            type=argument(parse_int, "--workers", low=1, high=64),
            default=int(os.environ.get("PILAR_WEB_WORKERS", "2")),
        )
        parser.add_argument(
            "--threads",
            type=argument(parse_int, "--threads", low=1, high=64),
            default=int(os.environ.get("PILAR_WEB_THREADS", "4")),
        )
        parser.add_argument("--no-worker", action="store_true", help="do not start a task worker")

    def handle(
        self, *args, host: str, port: int, workers: int, threads: int, no_worker: bool, **options
    ):
        self.backup_before_upgrade()
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        # Work whose worker vanished (the machine restarted) is marked so before the new
        # worker starts (pilar/lib/jobs.py).
        recover_all()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pilar.settings"}
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "pilar.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "120",
            "--graceful-timeout",
            "20",
            "--access-logfile",
            "-",
            "--logger-class",
            "pilar.lib.accesslog.RedactingLogger",
            # The request id in the access line, the trusted proxies, the control socket.
            *gunicorn_options(),
        ]
        # Both die with this process (SIGTERM, their graceful stop) when it is killed.
        children = [subprocess.Popen(web, env=env, preexec_fn=dying_with_parent())]
        if not no_worker:
            worker = [sys.executable, "-m", "pilar.cli", "worker"]
            children.append(subprocess.Popen(worker, env=env, preexec_fn=dying_with_parent()))
        # Before the line below: whoever reads it may stop us at once.
        stop = StopRequest()
        self.stdout.write(f"Pilar is serving on http://{host}:{port}/ (Ctrl+C to stop)")
        self.stdout.flush()
        code = 0
        while not stop.asked:
            if any(child.poll() is not None for child in children):
                code = 1  # a child died on its own: stop the rest and report it
                break
            time.sleep(0.3)
        stop_children(children)
        if code:
            self.stderr.write("A server process stopped unexpectedly; Pilar has stopped.")
        sys.exit(code)

    def backup_before_upgrade(self) -> None:
        """Refuse a database that holds migrations this code does not know (a newer Pilar
        wrote it); back up one that holds data before its pending migrations are applied."""
        executor = MigrationExecutor(connection)
        applied = executor.loader.applied_migrations
        unknown = unknown_migrations(applied, executor.loader)
        if unknown:
            raise CommandError(
                gettext(
                    "The database was written by a newer Pilar: it holds %(n)s migrations this "
                    "version (%(version)s) does not know (%(names)s). Install that newer version "
                    "again, or restore a backup taken before the upgrade (pilar restore); "
                    "nothing was changed."
                )
                % {
                    "n": len(unknown),
                    "version": pilar.__version__,
                    "names": ", ".join(unknown[:3]),
                }
            )
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not pending or not applied:
            return  # up to date, or a new database: nothing to lose
        self.stdout.write(
            gettext("%(n)s migrations are pending: backing up the database first...")
            % {"n": len(pending)}
        )
        self.stdout.flush()
        try:
            result = create_backup(kind="pre-upgrade")
        except BackupError as exc:
            raise CommandError(
                gettext("The backup before the upgrade failed, so nothing was migrated: %(error)s")
                % {"error": exc}
            ) from exc
        self.stdout.write(
            gettext("Backup before the upgrade: %(path)s. Now migrating.") % {"path": result.path}
        )

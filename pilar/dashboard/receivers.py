"""The dashboard's answers to the hooks of the apps below it (pilar/lib/hooks.py)."""

from __future__ import annotations

import logging

from django.db import DatabaseError

from pilar.dashboard.monthly_services import monthly_reports_due

logger = logging.getLogger(__name__)


def on_worker_round(sender, *, now, **kwargs):
    """The task worker's round: queue last month's reports when they are due. A failure here
    is logged, not raised: the worker's heartbeat and backups go on (the next round retries)."""
    try:
        return monthly_reports_due(now) or None
    except DatabaseError:
        raise  # the worker's own handling: the database is away for a moment
    except Exception:
        logger.exception("queueing the monthly reports")
        return None

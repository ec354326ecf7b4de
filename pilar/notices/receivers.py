"""The reminders' answer to the task worker's round (pilar/backups/signals.py)."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import DatabaseError

from pilar.notices.services import notices_deliver, notices_make

logger = logging.getLogger(__name__)

# The worker's round comes every 30 seconds; what is due changes by the day (and when a line is
# paid), so a worker process looks for new reminders at most this often. Delivery runs every
# round. Two workers may both look: the notices' constraint makes each one once.
MAKE_EVERY = 300


def on_worker_round(sender, *, now, **kwargs):
    """Make the reminders due, then deliver those not yet delivered. A failure is logged, not
    raised: the worker's heartbeat and backups go on, and the next round retries."""
    try:
        if cache.add("pilar-notices-made", True, timeout=MAKE_EVERY):
            notices_make(now)
        notices_deliver(now)
    except DatabaseError:
        raise  # the worker's own handling: the database is away for a moment
    except Exception:
        logger.exception("making or delivering reminders")
    return None

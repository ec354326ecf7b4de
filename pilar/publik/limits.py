"""How often one client may ask the public pages, data and API (docs/PUBLIC.md, "Limits").

Counted per client address (pilar/lib/clientip.py; an IPv6 client by its /64, as login
throttling counts it) and per minute, in the Django cache: a counter per address and minute,
kept a little over a minute. With the default local-memory cache each server process counts
its own requests, so a client can reach the limit once per process; a shared cache
(CACHES in settings) makes it one limit for the installation.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from pilar.accounts.throttle import counted_address
from pilar.lib.clientip import client_ip


def retry_after(request) -> int | None:
    """Count this request; the seconds to wait when the client has asked too often this
    minute, else None. PILAR_PUBLIC_RATE_PER_MINUTE = 0 counts nothing."""
    rate = settings.PILAR_PUBLIC_RATE_PER_MINUTE
    if rate <= 0:
        return None
    now = time.time()
    minute = int(now // 60)
    address = counted_address(client_ip(request)) or "unknown"
    key = f"pilar:publik-rate:{address}:{minute}"
    cache.add(key, 0, 90)
    try:
        count = cache.incr(key)
    except ValueError:  # gone between add and incr
        cache.set(key, 1, 90)
        count = 1
    if count <= rate:
        return None
    return max(1, 60 - int(now % 60))


def too_many_message() -> str:
    return _(
        "Too many requests from your address. Please wait a minute and try again; the public "
        "figures change at most a few times a day."
    )

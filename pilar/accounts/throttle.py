"""Login throttling, kept in the database so every server process sees the same count."""

from __future__ import annotations

import datetime
import ipaddress

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from pilar.accounts.models import LoginFailure


def _window_start() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.PILAR_LOGIN_WINDOW_MINUTES)


def counted_address(ip: str | None) -> str | None:
    """The address failures are counted against: an IPv4 address itself; for IPv6 its /64
    network, since one subscriber (a phone, a home router) is given a whole /64 and could
    otherwise try from a new address each time."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def is_locked(username: str, ip: str | None) -> bool:
    """Too many recent failures for this username, or from this address (IPv6: its /64)."""
    ip = counted_address(ip)
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    limit = settings.PILAR_LOGIN_MAX_FAILURES
    by_name = recent.filter(username__iexact=username).count() if username else 0
    # An address may serve a whole office behind one router: give it more room.
    by_ip = recent.filter(ip=ip).count() if ip else 0
    return by_name >= limit or by_ip >= limit * 4


def record_failure(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip=counted_address(ip))


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(Q(username__iexact=username) | Q(at__lt=_window_start())).delete()

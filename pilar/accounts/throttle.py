"""Login throttling, kept in the database so every server process sees the same count."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from pilar.accounts.models import LoginFailure


def _window_start() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.PILAR_LOGIN_WINDOW_MINUTES)


def is_locked(username: str, ip: str | None) -> bool:
    """Too many recent failures for this username, or from this address."""
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    limit = settings.PILAR_LOGIN_MAX_FAILURES
    by_name = recent.filter(username__iexact=username).count() if username else 0
    # An address may serve a whole office behind one router: give it more room.
    by_ip = recent.filter(ip=ip).count() if ip else 0
    return by_name >= limit or by_ip >= limit * 4


def record_failure(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip=ip)


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(Q(username__iexact=username) | Q(at__lt=_window_start())).delete()

"""Fixtures of the reminders' tests: the worker's round at a frozen moment of the office's day."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from pilar.backups.signals import worker_round
from pilar.lib.hooks import answers
from pilar.notices.models import Notice
from pilar.tests_support import english_messages

english = pytest.fixture(autouse=True, name="english")(english_messages)

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")


def at(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime.datetime:
    """A moment of the office's day (Bukittinggi, WIB)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=WIB)


def worker_round_at(moment: datetime.datetime) -> None:
    """One round of the task worker at `moment`, as `pilar worker` runs it, its clock frozen
    there. The round's own pause between lookings (`MAKE_EVERY`) is forgotten first: each
    round looks, so that "once" is the database's doing, not the pause's."""
    cache.delete("pilar-notices-made")
    with time_machine.travel(moment, tick=False):
        answers(worker_round, now=timezone.now())


@pytest.fixture
def at_day():
    return at


@pytest.fixture
def run_round():
    return worker_round_at


def notices_of(user, kind=None):
    found = Notice.objects.filter(user=user)
    if kind:
        found = found.filter(kind=kind)
    return list(found.order_by("created_at", "pk"))

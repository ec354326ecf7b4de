"""E-mail: each notice sent once, to users who have an address and did not switch e-mail off;
a send that fails is retried at the next round (docs/NOTICES.md, "Sent once")."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from pilar.notices.channels import CHANNELS
from pilar.notices.models import Kind, Notice, NoticeSettings
from pilar.notices.services import deliver, notices_deliver
from pilar.notices.tests.conftest import at, notices_of, worker_round_at


class FailingBackend(BaseEmailBackend):
    """A mail server that is away."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is away")


@pytest.fixture
def pillar(actors):
    user = actors["pillar"]
    type(user).objects.filter(pk=user.pk).update(email="ani@example.org")
    user.refresh_from_db()
    return user


def test_each_notice_is_emailed_once(pillar):
    worker_round_at(at(2024, 11, 8))
    worker_round_at(at(2024, 11, 8, 8, 1))
    worker_round_at(at(2024, 11, 8, 9))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    [notice] = notices_of(pillar)
    assert message.to == ["ani@example.org"]
    assert message.subject == f"Pilar: {notice.title}"
    assert f"/notices/{notice.pk}/open/" in message.body
    assert "/notices/settings/" in message.body
    assert notice.emailed_at is not None
    # The due day's reminder is a second notice: a second e-mail, once.
    worker_round_at(at(2024, 11, 10))
    worker_round_at(at(2024, 11, 10, 9))
    assert [m.subject for m in mail.outbox][1] == (
        "Pilar: Monthly report for October 2024 due today"
    )
    assert len(mail.outbox) == 2


def test_no_email_without_an_address_or_when_switched_off(actors, pillar):
    NoticeSettings.objects.create(user=pillar, email=False)
    worker_round_at(at(2024, 11, 8))
    # The TKSK (a pillar through their duty) has no address on file.
    assert notices_of(pillar) and notices_of(actors["coordinator_a"])
    assert mail.outbox == []
    # Switched back on, an unread reminder of the last two days is sent; older ones stay in
    # the bell only.
    NoticeSettings.objects.filter(user=pillar).update(email=True)
    worker_round_at(at(2024, 11, 10, 9))
    assert [m.subject for m in mail.outbox] == ["Pilar: Monthly report for October 2024 due today"]


def test_a_failed_send_is_retried_at_the_next_round(pillar, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    worker_round_at(at(2024, 11, 8))
    [notice] = notices_of(pillar)
    assert notice.emailed_at is None  # released for the next round
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    worker_round_at(at(2024, 11, 8, 8, 1))
    worker_round_at(at(2024, 11, 8, 8, 2))
    assert len(mail.outbox) == 1


def test_a_notice_claimed_by_another_worker_is_not_sent_again(pillar):
    worker_round_at(at(2024, 11, 7, 6))  # before seven: nothing made yet
    from pilar.notices.services import notices_make

    notices_make(at(2024, 11, 8))
    [notice] = notices_of(pillar)
    # Another worker claimed it a moment ago (its conditional UPDATE won).
    Notice.objects.filter(pk=notice.pk).update(emailed_at=at(2024, 11, 8))
    assert deliver(CHANNELS[0], at(2024, 11, 8, 8, 1)) == 0
    assert mail.outbox == []


def test_a_read_or_stale_notice_is_not_emailed(pillar):
    from pilar.notices.services import notices_make

    notices_make(at(2024, 11, 8))
    Notice.objects.update(read_at=at(2024, 11, 8, 8, 5))
    assert notices_deliver(at(2024, 11, 8, 8, 6)) == {}
    Notice.objects.update(read_at=None)
    assert notices_deliver(at(2024, 11, 8) + datetime.timedelta(days=3)) == {}
    assert mail.outbox == []


def test_the_round_looks_for_reminders_at_most_every_five_minutes(pillar):
    from django.core.cache import cache
    from django.utils import timezone

    from pilar.backups.signals import worker_round
    from pilar.lib.hooks import answers

    def plain_round(moment):
        with time_machine.travel(moment, tick=False):
            answers(worker_round, now=timezone.now())

    cache.delete("pilar-notices-made")
    plain_round(at(2024, 11, 7, 6, 58))  # looked: nothing is made before seven
    plain_round(at(2024, 11, 7, 7, 2))  # the pause holds: not looked
    assert Notice.objects.filter(kind=Kind.REPORT_DUE).count() == 0
    plain_round(at(2024, 11, 7, 7, 4))
    assert Notice.objects.filter(kind=Kind.REPORT_DUE).count() == 2
    assert len(mail.outbox) == 1

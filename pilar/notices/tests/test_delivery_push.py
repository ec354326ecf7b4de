"""Web push as a channel of the reminders: a notice reaches each phone the user turned on,
once across rounds and at most once (docs/NOTICES.md, "Channels" and "Web push"). The push
service is a real HTTP server on 127.0.0.1 that checks the VAPID header and decrypts the
message as the phone would."""

from __future__ import annotations

import calendar

import pytest

from pilar.accounts import push
from pilar.accounts.models import PushSubscription
from pilar.accounts.tests.test_push import PushService
from pilar.lib.tests.pushphone import Phone, check_vapid
from pilar.notices.models import NoticeSettings
from pilar.notices.tests.conftest import at, notices_of, worker_round_at


@pytest.fixture
def service(settings, tmp_path):
    running = PushService()
    settings.DATA_DIR = tmp_path
    settings.PILAR_VAPID_PRIVATE_KEY = ""
    settings.PILAR_VAPID_SUBJECT = "mailto:dinsos@bukittinggi.example"
    settings.PILAR_PUSH_HOSTS = [*settings.PILAR_PUSH_HOSTS, running.origin]
    yield running
    running.stop()


def phone_of(user, service, name) -> Phone:
    phone = Phone()
    data = push.parse_subscription(phone.subscription(service.endpoint(name)))
    push.push_subscription_save(user=user, data=data)
    return phone


def test_a_reminder_reaches_the_phone_once_as_the_bell_shows_it(actors, service):
    pillar = actors["pillar"]
    phone = phone_of(pillar, service, "ani")
    when = at(2024, 11, 8)
    worker_round_at(when)
    worker_round_at(at(2024, 11, 8, 8, 1))
    worker_round_at(at(2024, 11, 8, 9))

    [notice] = notices_of(pillar)
    [request] = service.requests
    check_vapid(request["headers"]["Authorization"], now=calendar.timegm(when.utctimetuple()))
    message = phone.read(request["body"])
    assert message["title"] == notice.title
    assert message["body"] == notice.body
    assert message["url"] == f"/notices/{notice.pk}/open/"
    assert message["tag"] == f"{notice.kind}:{notice.key}"
    notice.refresh_from_db()
    assert notice.pushed_at is not None


def test_no_push_without_a_phone_or_when_switched_off(actors, service):
    pillar = actors["pillar"]
    NoticeSettings.objects.create(user=pillar, push=False)
    phone_of(pillar, service, "ani")
    worker_round_at(at(2024, 11, 8))
    # The TKSK has a notice too, and no phone on file.
    assert notices_of(pillar) and notices_of(actors["coordinator_a"])
    assert service.requests == []
    assert all(n.pushed_at is None for n in notices_of(actors["coordinator_a"]))


def test_a_push_service_away_is_not_asked_again_and_a_gone_phone_is_forgotten(actors, service):
    pillar = actors["pillar"]
    phone_of(pillar, service, "ani")
    service.status = 503
    worker_round_at(at(2024, 11, 8))
    worker_round_at(at(2024, 11, 8, 8, 1))
    [notice] = notices_of(pillar)
    # Best effort: one attempt, and the notice stays under the bell.
    assert notice.pushed_at is not None and notice.read_at is None
    assert len(service.requests) == 1

    # The next reminder finds the phone gone (410): forgotten, nothing more is posted to it.
    service.status = 410
    worker_round_at(at(2024, 11, 10, 9))
    assert not PushSubscription.objects.filter(user=pillar).exists()
    assert len(service.requests) == 2
    worker_round_at(at(2024, 11, 12, 9))
    assert len(service.requests) == 2

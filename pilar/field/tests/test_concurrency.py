"""The same item sent twice at the same moment (two requests racing after a lost answer):
real concurrent transactions, each thread with its own database connection."""

import threading

import pytest
from django.db import connection

from pilar.audit.services import Actor
from pilar.casework.models import Activity
from pilar.field import services
from pilar.field.models import SyncReceipt

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except Exception as exc:  # a lock error or a 500 would be a failure of the rule
            outcomes.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_two_sends_of_one_item_at_once_make_one_activity(actors, make_item):
    item = make_item()
    by = Actor(user=actors["pillar"])

    def send():
        return services.accept(by=by, item=dict(item))

    answers = race(send, send)
    assert all(isinstance(a, dict) for a in answers), answers
    assert sorted((a["status"], a["duplicate"]) for a in answers) == [
        ("accepted", False),
        ("accepted", True),
    ]
    assert Activity.objects.count() == 1 and SyncReceipt.objects.count() == 1
    assert answers[0]["url"] == answers[1]["url"]

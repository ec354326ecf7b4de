import datetime
import random

import pytest
from faker import Faker

from pilar.audit.services import Actor
from pilar.regions.models import Area
from pilar.tagana.demo import load_tagana
from pilar.tagana.models import Deployment, DisasterEvent, EventLogEntry

pytestmark = pytest.mark.django_db


def load(make_member, tag):
    members = [
        make_member(f"Demo {tag} {i}", start=datetime.date(2020, 1, 6), nik=None) for i in range(10)
    ]
    kelurahan = list(Area.objects.filter(level=4, code__startswith="13.75."))
    load_tagana(
        rng=random.Random(7),
        fake=Faker("id_ID"),
        by=Actor.system(),
        members=members,
        city=Area.objects.get(code="13.75"),
        kelurahan=kelurahan,
    )
    return members


def test_demo_events_are_closed_with_deployments_and_logs(make_member):
    Faker.seed(7)
    members = load(make_member, "a")
    events = list(DisasterEvent.objects.order_by("started_on"))
    assert [e.kind for e in events] == ["flood", "fire"]
    assert all(e.status == "closed" and e.started_on.year == 2024 for e in events)
    assert Deployment.objects.filter(end__isnull=True).count() == 0
    assert Deployment.objects.count() >= 6 and EventLogEntry.objects.count() >= 4
    plan = [(d.person_id, d.role, d.start, d.end) for d in Deployment.objects.order_by("pk")]
    # The same seed gives the same deployments (in terms of member order).
    index = {m.pk: i for i, m in enumerate(members)}
    first = [(index[p], r, s, e) for p, r, s, e in plan]
    Deployment.objects.all().delete()
    EventLogEntry.objects.all().delete()
    DisasterEvent.objects.all().delete()
    Faker.seed(7)
    members = load(make_member, "b")
    index = {m.pk: i for i, m in enumerate(members)}
    again = [
        (index[d.person_id], d.role, d.start, d.end) for d in Deployment.objects.order_by("pk")
    ]
    assert again == first
